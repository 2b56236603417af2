"""Start the dashboard (`python -m ui.serve app.py [streamlit options]`), deep links included.

Streamlit takes a `pages/` folder beside the entry script for an old-style multipage app
until the script first calls st.navigation. On a freshly started server, a visitor whose
first request is a deep link (a shared /model-lab or /lesson?step=3) then gets a "Page not
found" dialog laid over the right page, because the folder's page names (model_lab) are not
our URLs (model-lab); the dialog also blocks every click until closed. app.py declares all
pages through st.navigation, so we say so before the server starts. Everything else is
`streamlit run`.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> None:
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.web import cli

    # A class attribute Streamlit sets from the folder's existence when it is still None; if a
    # later Streamlit drops it, this line is a no-op and only the first deep link shows the dialog.
    PagesManager.uses_pages_directory = False
    sys.argv = ["streamlit", "run", *(sys.argv[1:] if argv is None else argv)]
    cli.main()


if __name__ == "__main__":
    main()
