"""docs/deploy.md's nginx site passes `nginx -t` as written (issue 17 part 2): its TLS
certificate paths pointed at a throwaway self-signed pair, everything else untouched. The
cluster test (tests/test_cluster.py) runs the same site, without TLS, in front of node 2."""

import shutil
import subprocess

import pytest

from tests.test_cluster import deploy_site, nginx_conf

pytestmark = pytest.mark.skipif(
    not (shutil.which("nginx") and shutil.which("openssl")), reason="nginx/openssl not installed"
)


def test_the_deploy_docs_nginx_site_passes_nginx_t(tmp_path):
    site = deploy_site()
    live = "/etc/letsencrypt/live/portal.example.go.id/"
    assert site.count(live) == 2
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=portal.example.go.id",
         "-keyout", str(tmp_path / "privkey.pem"), "-out", str(tmp_path / "fullchain.pem")],
        check=True, capture_output=True,
    )  # fmt: skip
    conf = tmp_path / "nginx.conf"
    conf.write_text(nginx_conf(tmp_path, site.replace(live, f"{tmp_path}/")))
    checked = subprocess.run(
        ["nginx", "-t", "-p", str(tmp_path), "-c", str(conf)], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stderr
    assert "syntax is ok" in checked.stderr and "test is successful" in checked.stderr
