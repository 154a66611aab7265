"""initialize / initialized / settings / workspace folders: session set-up and indexing."""

from __future__ import annotations

import asyncio
import logging
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from ..config import SECTION, Settings, load_user_settings, merge
from ..server import uri_to_path

if TYPE_CHECKING:
    from ..core import IndexHandle
    from ..server import QwenLanguageServer

log = logging.getLogger(__name__)


def _client_supports(server: QwenLanguageServer, dotted: str) -> bool:
    obj: Any = server.client_capabilities
    for part in dotted.split("."):
        obj = getattr(obj, part, None)
        if obj is None:
            return False
    return bool(obj)


def apply_settings(server: QwenLanguageServer, *sources: Any) -> None:
    """Merge sources over defaults + the user file; report problems once each."""
    user, user_errors = load_user_settings()
    settings, errors = merge(Settings(), user, *sources)
    server.settings = settings
    server.max_message_bytes = settings.maxMessageBytes
    logging.getLogger("qwen_lsp").setLevel(settings.logLevel.upper())
    for problem in [*user_errors, *errors]:
        server.show_message_once(
            f"setting:{problem}", f"qwen-lsp: {problem}", types.MessageType.Warning
        )


def _roots(params: types.InitializeParams) -> list[Path]:
    uris = [f.uri for f in params.workspace_folders or []]
    if not uris and params.root_uri:
        uris = [params.root_uri]
    roots = []
    for uri in uris:
        path = uri_to_path(uri)
        if path and Path(path).is_dir():
            roots.append(Path(path).resolve())
    if not roots and params.root_path and Path(params.root_path).is_dir():
        roots.append(Path(params.root_path).resolve())
    return roots


async def _fetch_configuration(server: QwenLanguageServer) -> dict[str, Any] | None:
    if not _client_supports(server, "workspace.configuration"):
        return None
    try:
        result = await asyncio.wait_for(
            server.workspace_configuration_async(
                types.ConfigurationParams(items=[types.ConfigurationItem(section=SECTION)])
            ),
            timeout=5,
        )
    except Exception as exc:
        log.info("workspace/configuration failed: %s", exc)
        return None
    return result[0] if result and isinstance(result[0], dict) else None


def start_indexing(server: QwenLanguageServer, roots: list[Path]) -> None:
    """Index ``roots`` in the background, reporting ``$/progress`` to this client."""
    if not server.settings.index.enable:
        return
    loop = asyncio.get_running_loop()
    progress_ok = _client_supports(server, "window.work_done_progress")
    for root in roots:
        token = f"qwen-lsp/index/{uuid.uuid4().hex[:8]}"
        state = {"begun": False, "ended": False, "last_pct": -1}

        def send(
            done: int,
            total: int,
            message: str,
            token: str = token,
            state: dict = state,
            root: Path = root,
        ) -> None:
            if not progress_ok or state["ended"]:
                return
            pct = int(done * 100 / total) if total else 0
            finished = total and done >= total and message.startswith("indexed")
            if not state["begun"]:
                state["begun"] = True
                server.work_done_progress.begin(
                    token,
                    types.WorkDoneProgressBegin(
                        title=f"Indexing {root.name}",
                        message=message,
                        percentage=pct,
                        cancellable=False,
                    ),
                )
            if finished:
                state["ended"] = True
                server.work_done_progress.end(token, types.WorkDoneProgressEnd(message=message))
                return
            if pct != state["last_pct"] or done == 0:
                state["last_pct"] = pct
                server.work_done_progress.report(
                    token, types.WorkDoneProgressReport(message=message, percentage=pct)
                )

        def listener(done: int, total: int, message: str, send: Any = send) -> None:
            if not server.stop_event.is_set():
                loop.call_soon_threadsafe(send, done, total, message)

        async def begin_then_index(
            root: Path = root, token: str = token, listener: Any = listener, state: dict = state
        ) -> None:
            if progress_ok:
                try:
                    await asyncio.wait_for(server.work_done_progress.create_async(token), timeout=5)
                except Exception as exc:
                    log.info("client refused a progress token: %s", exc)
                    state["ended"] = True
            # The cache is encrypted with the key this session's settings name (a key given
            # in initializationOptions counts before any completion is asked for).
            codec = server.core.index_codec([root], server.settings.models)
            handle = server.core.index_for(root, server.settings.index, listener, codec)

            def detach(h: IndexHandle = handle, cb: Any = listener) -> None:
                if cb in h.listeners:
                    h.listeners.remove(cb)

            server.on_detach.append(detach)
            if handle.future is not None and handle.future.done():
                # Indexed already (by another client): nothing to report.
                state["ended"] = True

        server.schedule(f"index:{root}", 0, begin_then_index)


async def _register_file_watcher(server: QwenLanguageServer) -> None:
    if not _client_supports(server, "workspace.did_change_watched_files.dynamic_registration"):
        return
    exts = sorted({e.lstrip(".") for lang in server.core.registry for e in lang.spec.extensions})
    pattern = "**/*.{" + ",".join(exts) + "}"
    try:
        await server.client_register_capability_async(
            types.RegistrationParams(
                registrations=[
                    types.Registration(
                        id="qwen-lsp-watch",
                        method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                        register_options=types.DidChangeWatchedFilesRegistrationOptions(
                            watchers=[types.FileSystemWatcher(glob_pattern=pattern)]
                        ),
                    )
                ]
            )
        )
    except Exception as exc:
        log.info("client did not register the file watcher: %s", exc)


def register(server: QwenLanguageServer) -> None:
    """Register lifecycle handlers."""

    @server.feature(types.INITIALIZE)
    def initialize(ls: QwenLanguageServer, params: types.InitializeParams) -> None:
        ls.roots = _roots(params)
        ls.initialization_options = params.initialization_options
        apply_settings(ls, params.initialization_options)

    @server.feature(types.INITIALIZED)
    async def initialized(ls: QwenLanguageServer, params: types.InitializedParams) -> None:
        config = await _fetch_configuration(ls)
        if config is not None:
            apply_settings(ls, ls.initialization_options, config)
        await _register_file_watcher(ls)
        start_indexing(ls, ls.roots)

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def did_change_configuration(
        ls: QwenLanguageServer, params: types.DidChangeConfigurationParams
    ) -> None:
        config = await _fetch_configuration(ls)
        if config is None and isinstance(params.settings, dict):
            config = params.settings
        apply_settings(ls, ls.initialization_options, config)
        # Rules turned on or off apply now, not at the next edit.
        from .diagnostics import refresh

        refresh(ls, list(ls.documents))

    @server.feature(types.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS)
    def did_change_folders(
        ls: QwenLanguageServer, params: types.DidChangeWorkspaceFoldersParams
    ) -> None:
        added = []
        for folder in params.event.added:
            path = uri_to_path(folder.uri)
            if path and Path(path).is_dir():
                added.append(Path(path).resolve())
        removed = {Path(p).resolve() for f in params.event.removed if (p := uri_to_path(f.uri))}
        ls.roots = [r for r in ls.roots if r not in removed] + added
        start_indexing(ls, added)

    @server.feature(types.SHUTDOWN)
    def shutdown(ls: QwenLanguageServer, *args: Any) -> None:
        log.info("shutdown requested")
