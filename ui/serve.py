"""Start the dashboard (`python -m ui.serve app.py [streamlit options]`), deep links included.

Streamlit takes a `pages/` folder beside the entry script for an old-style multipage app
until the script first calls st.navigation. On a freshly started server, a visitor whose
first request is a deep link (a shared /model-lab or /lesson?step=3) then gets a "Page not
found" dialog laid over the right page, because the folder's page names (model_lab) are not
our URLs (model-lab); the dialog also blocks every click until closed. app.py declares all
pages through st.navigation, so we say so before the server starts. Everything else is
`streamlit run`, but for one middleware: a shared link to a page that runs a network starts importing torch
while the browser loads the front end (`ui.warmup`).
"""

from __future__ import annotations

import sys
from pathlib import Path

#: The dashboard's entry script: only its server imports torch early (a hello world started the same way,
#: the bench's yardstick, stays a hello world).
DASHBOARD = Path(__file__).resolve().parents[1] / "app.py"


def _watch_for_model_pages() -> None:
    """Add `ui.warmup.ModelPageImports` to the middleware Streamlit's server is built with. Streamlit has no
    option for middleware under `streamlit run` (only its ASGI `st.App` takes some), so the factory is wrapped;
    if a later Streamlit renames it, nothing is added and a shared link just waits for torch as before."""
    try:
        from starlette.middleware import Middleware
        from streamlit.web.server.starlette import starlette_app
    except ImportError:
        return
    streamlit_middleware = getattr(starlette_app, "create_streamlit_middleware", None)
    if streamlit_middleware is None:
        return
    from ui.warmup import ModelPageImports

    starlette_app.create_streamlit_middleware = lambda: [*streamlit_middleware(), Middleware(ModelPageImports)]


def main(argv: list[str] | None = None) -> None:
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.web import cli

    # A class attribute Streamlit sets from the folder's existence when it is still None; if a
    # later Streamlit drops it, this line is a no-op and only the first deep link shows the dialog.
    PagesManager.uses_pages_directory = False
    args = sys.argv[1:] if argv is None else argv
    if args and Path(args[0]).resolve() == DASHBOARD:
        _watch_for_model_pages()
    sys.argv = ["streamlit", "run", *args]
    cli.main()


if __name__ == "__main__":
    main()
