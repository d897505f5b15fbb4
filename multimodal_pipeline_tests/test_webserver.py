"""The real webserver on loopback answers a GraphQL query listing the assets (started and stopped here)."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from multimodal_pipeline_tests.dagster_helpers import free_port, graphql, stop_group

REPO = Path(__file__).resolve().parent.parent
QUERY = "{ assetNodes { assetKey { path } hasAssetChecks partitionDefinition { name } } }"


def _listening_addresses(port: int) -> set[str]:
    """The local IPv4 addresses of the sockets listening on `port`, from /proc/net/tcp (IPv6 ones as 'ipv6')."""
    found = set()
    for table, family in (("/proc/net/tcp", "ipv4"), ("/proc/net/tcp6", "ipv6")):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, port_hex = local.split(":")
            if state == "0A" and int(port_hex, 16) == port:
                found.add(socket.inet_ntoa(bytes.fromhex(address)[::-1]) if family == "ipv4" else "ipv6")
    return found


@pytest.mark.slow
def test_webserver_on_loopback_lists_assets(tmp_path):
    port = free_port()
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text((REPO / "dagster_home" / "dagster.yaml").read_text())
    env = {**os.environ, "DAGSTER_HOME": str(home), "MMP_DATA_ROOT": str(tmp_path / "data")}
    webserver = Path(sys.executable).parent / "dagster-webserver"
    proc = subprocess.Popen([str(webserver), "-h", "127.0.0.1", "-p", str(port), "-w", "workspace.yaml"],
                            cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        nodes = []
        while time.monotonic() < deadline and not nodes:
            if proc.poll() is not None:
                pytest.fail(f"webserver exited: {proc.stderr.read().decode()[-2000:]}")
            try:
                nodes = graphql(port, QUERY)["data"]["assetNodes"]
            except (OSError, KeyError, TypeError):
                pass
            time.sleep(1)
        keys = {"/".join(n["assetKey"]["path"]) for n in nodes}
        assert {"raw_video", "audio", "audit_catalog"} <= keys
        by_key = {"/".join(n["assetKey"]["path"]): n for n in nodes}
        assert by_key["audio"]["hasAssetChecks"] and by_key["audio"]["partitionDefinition"]["name"] == "videos"
        # bound to loopback only: every listening socket on the port has address 127.0.0.1 (the kernel's table)
        assert _listening_addresses(port) == {"127.0.0.1"}
    finally:
        stop_group(proc, timeout_s=20)
