"""The Python lens: reports processes, pools, queues and waits to Forkscope.

Started by sitecustomize when FORKSCOPE_LENS (a Unix socket path) and FORKSCOPE_LENS_SECRET are
in the environment. Every child inherits both, so spawn and forkserver children load it at
start; forked children reconnect in os.register_at_fork's after_in_child hook.
"""

import os

ENDPOINT_ENV = "FORKSCOPE_LENS"
SECRET_ENV = "FORKSCOPE_LENS_SECRET"


def start():
    endpoint = os.environ.get(ENDPOINT_ENV)
    secret = os.environ.get(SECRET_ENV)
    if not endpoint or not secret:
        return False
    from . import channel

    if not channel.open_channel(endpoint, secret):
        return False  # unreachable: the lens stays off and patches nothing
    from . import patching

    patching.install()
    return True
