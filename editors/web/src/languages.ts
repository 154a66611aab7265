/** The languages of the picker: LSP id, Monaco id, file extension, line comment, a sample. */

export interface PlaygroundLanguage {
  /** LSP language id sent in didOpen (one of `qwen-lsp languages`). */
  id: string;
  label: string;
  /** Monaco's language id (syntax colouring). */
  monaco: string;
  extension: string;
  /** Line comment used by the "generate" box. */
  comment: string;
  sample: string;
}

export const LANGUAGES: PlaygroundLanguage[] = [
  {
    id: 'python',
    label: 'Python',
    monaco: 'python',
    extension: 'py',
    comment: '#',
    sample: 'def area(width, height):\n    """Area of a rectangle."""\n    return width * height\n\n\ndef perimeter(width, height):\n    ',
  },
  {
    id: 'javascript',
    label: 'JavaScript',
    monaco: 'javascript',
    extension: 'js',
    comment: '//',
    sample: 'function area(width, height) {\n  return width * height;\n}\n\nfunction perimeter(width, height) {\n  ',
  },
  {
    id: 'typescript',
    label: 'TypeScript',
    monaco: 'typescript',
    extension: 'ts',
    comment: '//',
    sample: 'export function area(width: number, height: number): number {\n  return width * height;\n}\n\nexport function perimeter(width: number, height: number): number {\n  ',
  },
  {
    id: 'go',
    label: 'Go',
    monaco: 'go',
    extension: 'go',
    comment: '//',
    sample: 'package geometry\n\nfunc Area(width, height float64) float64 {\n\treturn width * height\n}\n\nfunc Perimeter(width, height float64) float64 {\n\t',
  },
  {
    id: 'rust',
    label: 'Rust',
    monaco: 'rust',
    extension: 'rs',
    comment: '//',
    sample: 'pub fn area(width: f64, height: f64) -> f64 {\n    width * height\n}\n\npub fn perimeter(width: f64, height: f64) -> f64 {\n    ',
  },
  {
    id: 'java',
    label: 'Java',
    monaco: 'java',
    extension: 'java',
    comment: '//',
    sample: 'class Geometry {\n    static double area(double width, double height) {\n        return width * height;\n    }\n\n    static double perimeter(double width, double height) {\n        ',
  },
  {
    id: 'c',
    label: 'C',
    monaco: 'c',
    extension: 'c',
    comment: '//',
    sample: 'double area(double width, double height) {\n    return width * height;\n}\n\ndouble perimeter(double width, double height) {\n    ',
  },
  {
    id: 'cpp',
    label: 'C++',
    monaco: 'cpp',
    extension: 'cpp',
    comment: '//',
    sample: '#include <vector>\n\ndouble area(double width, double height) {\n    return width * height;\n}\n\ndouble perimeter(double width, double height) {\n    ',
  },
  {
    id: 'csharp',
    label: 'C#',
    monaco: 'csharp',
    extension: 'cs',
    comment: '//',
    sample: 'static class Geometry\n{\n    public static double Area(double width, double height) => width * height;\n\n    public static double Perimeter(double width, double height)\n    {\n        ',
  },
  {
    id: 'ruby',
    label: 'Ruby',
    monaco: 'ruby',
    extension: 'rb',
    comment: '#',
    sample: 'def area(width, height)\n  width * height\nend\n\ndef perimeter(width, height)\n  ',
  },
  {
    id: 'shellscript',
    label: 'Bash',
    monaco: 'shell',
    extension: 'sh',
    comment: '#',
    sample: '#!/usr/bin/env bash\nset -euo pipefail\n\nbackup() {\n  ',
  },
  {
    id: 'lua',
    label: 'Lua',
    monaco: 'lua',
    extension: 'lua',
    comment: '--',
    sample: 'local function area(width, height)\n  return width * height\nend\n\nlocal function perimeter(width, height)\n  ',
  },
];

export function languageById(id: string): PlaygroundLanguage {
  return LANGUAGES.find((language) => language.id === id) ?? (LANGUAGES[0] as PlaygroundLanguage);
}

/** The "generate" prompt: the request as comment lines at the cursor's indentation, then a new
 * line at the same indentation where the model continues (fill-in-the-middle at the cursor). */
export function generatePrompt(request: string, comment: string, indent: string): string {
  const lines = request
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => `${indent}${comment} ${line}`);
  return `${lines.join('\n')}\n${indent}`;
}
