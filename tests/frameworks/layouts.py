"""Small real project layouts, written file by file."""

from __future__ import annotations

from pathlib import Path

DJANGO = {
    "manage.py": "import os\nimport sys\n\nif __name__ == '__main__':\n"
    "    os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'site.settings')\n"
    "    from django.core.management import execute_from_command_line\n"
    "    execute_from_command_line(sys.argv)\n",
    "requirements.txt": "Django>=4.2,<5  # the web framework\ndjangorestframework==3.15.1\n",
    "blog/__init__.py": "",
    "blog/models.py": (
        "from django.db import models\n\n\n"
        "class Article(models.Model):\n"
        "    title = models.CharField(max_length=200)\n"
        "    body = models.TextField()\n"
        "    published = models.DateTimeField(null=True)\n\n"
        "    def __str__(self):\n"
        "        return self.title\n\n\n"
        "class Comment(models.Model):\n"
        "    article = models.ForeignKey(Article, on_delete=models.CASCADE)\n"
        "    text = models.TextField()\n"
    ),
    "blog/views.py": "from django.shortcuts import render\n\n\ndef article_list(request):\n    ",
    "blog/urls.py": "from django.urls import path\n\nfrom . import views\n\nurlpatterns = [\n]\n",
}

FLASK = {
    "pyproject.toml": '[project]\nname = "notes"\nversion = "0.1"\ndependencies = ["Flask>=3", "requests"]\n',
    "notes/app.py": "from flask import Flask, jsonify\n\nnotes_app = Flask(__name__)\n",
}

FASTAPI = {
    "Pipfile": '[packages]\nfastapi = "*"\nuvicorn = "*"\n\n[dev-packages]\npytest = "*"\n',
    "api/__init__.py": "",
    "api/schemas.py": "from pydantic import BaseModel\n\n\nclass Order(BaseModel):\n    id: int\n    total: float\n",
    "api/main.py": "from fastapi import FastAPI\n\nfrom .schemas import Order\n\nshop = FastAPI(title='shop')\n",
}

PYTEST = {
    "pyproject.toml": '[project]\nname = "lib"\nversion = "1"\n\n[tool.pytest.ini_options]\ntestpaths = ["tests"]\n',
    "lib/__init__.py": "def double(x):\n    return 2 * x\n",
    "tests/test_lib.py": "from lib import double\n",
}

SPRING_MAVEN = {
    "pom.xml": """<project>
  <parent>
    <groupId>org.springframework.boot</groupId>
    <artifactId>spring-boot-starter-parent</artifactId>
    <version>3.3.0</version>
  </parent>
  <dependencies>
    <dependency>
      <groupId>org.springframework.boot</groupId>
      <artifactId>spring-boot-starter-web</artifactId>
    </dependency>
  </dependencies>
</project>
""",
    "src/main/java/com/acme/shop/OrderService.java": (
        "package com.acme.shop;\n\n@Service\npublic class OrderService {\n}\n"
    ),
    "src/main/java/com/acme/shop/OrderController.java": "package com.acme.shop;\n\n",
}

SPRING_GRADLE = {
    "build.gradle.kts": 'plugins {\n    id("org.springframework.boot") version "3.3.0"\n}\n'
    'dependencies {\n    implementation("org.springframework.boot:spring-boot-starter-web")\n}\n',
}

REACT = {
    "package.json": '{"name": "ui", "dependencies": {"react": "^18.3.0", "react-dom": "^18.3.0"},'
    ' "devDependencies": {"typescript": "^5.4.0"}}',
    "src/Button.tsx": (
        "export interface ButtonProps {\n  label: string;\n  onClick: () => void;\n"
        "  disabled?: boolean;\n}\n\n"
        "export default function Button({ label, onClick, disabled }: ButtonProps) {\n"
        "  return <button onClick={onClick} disabled={disabled}>{label}</button>;\n}\n"
    ),
    "src/Card.jsx": (
        "import PropTypes from 'prop-types';\n\nexport function Card({ title }) {\n"
        "  return <div>{title}</div>;\n}\n\nCard.propTypes = {\n  title: PropTypes.string.isRequired,\n};\n"
    ),
    "src/App.tsx": "import Button from './Button';\nimport { Card } from './Card';\n\n"
    "export function App() {\n  return (\n    <div>\n      ",
}

EXPRESS = {
    "package.json": '{"name": "srv", "dependencies": {"express": "^4.19.0"}}',
    "server.js": "const express = require('express');\n\nconst api = express.Router();\n",
}

IMPORTS_ONLY = {
    "service.py": "import fastapi\n\napp = fastapi.FastAPI()\n",
}

PLAIN = {
    "setup.py": "from setuptools import setup\nsetup(name='x', install_requires=['numpy>=1'])\n",
    "x/views.py": "def view():\n    pass\n",
    "x/models.py": "class Thing:\n    pass\n",
}

MONOREPO = {
    "frontend/package.json": '{"dependencies": {"react": "18"}}',
    "backend/requirements.txt": "-r base.txt\n--index-url https://example.org\nfastapi[all]==0.111\n",
    "backend/requirements/dev.txt": "pytest-asyncio\n",
}


def write(root: Path, files: dict[str, str]) -> Path:
    """Write ``files`` under ``root``; returns ``root``."""
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root
