"""The one HTTP stack both forges use: a `requests` session that reads the same environment variables.

Proxies (`HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY`, `NO_PROXY`; `http://` and `https://` proxy URLs), redirects
and connection reuse are requests'. Trusted certificates come from the first of `CA_VARIABLES` that is set (a PEM
file or a c_rehash'ed folder), else from requests' bundle: the same variables on GitHub and GitLab, documented in
docs/enterprise.md. `requests` is imported only when a forge makes its first request (it costs ~0.1 s to import).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from cml_action.errors import PublishError

if TYPE_CHECKING:
    import requests

# Checked in this order; REQUESTS_CA_BUNDLE and CURL_CA_BUNDLE are requests' own, SSL_CERT_FILE is OpenSSL's.
CA_VARIABLES = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE")


def ca_bundle() -> tuple[str, str]:
    """(variable, path) of the CA bundle the environment names, or ("", "") for requests' default bundle."""
    for variable in CA_VARIABLES:
        path = os.environ.get(variable, "").strip()
        if path:
            return variable, path
    return "", ""


def verify_setting() -> str | bool:
    """What requests' `verify` should be; a bundle that is not there is one clear error before any request."""
    variable, path = ca_bundle()
    if not variable:
        return True
    if not os.path.exists(path):
        raise PublishError(f"the CA bundle {variable}={path} cannot be loaded: No such file or directory")
    return path


def untrusted_certificate(host: str) -> str:
    """The one line for a TLS certificate that does not verify: never retried, it will not fix itself."""
    variable, path = ca_bundle()
    trusted = f"the CA bundle {variable}={path}" if variable else "the default CA bundle"
    return (
        f"the TLS certificate of {host} is not trusted by {trusted} (a private CA, e.g. GitHub Enterprise or "
        f"self-managed GitLab?): set REQUESTS_CA_BUNDLE (or SSL_CERT_FILE) to a PEM file that includes that CA"
    )


def new_session(user_agent: str) -> requests.Session:
    """A session for one forge's API: environment proxies, our CA choice, our user agent, no automatic retries."""
    import requests

    session = requests.Session()
    session.verify = verify_setting()
    session.headers["User-Agent"] = user_agent
    return session
