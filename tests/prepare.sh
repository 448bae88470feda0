#!/bin/sh
# What the tests need from the machine: git, gpg, chromium (the site as readers see it), npm
# (axe-core), sshd (the git door), nginx (the web door). As root on Debian or Ubuntu, installs what is missing;
# otherwise stops at once with the one line to run.
set -eu
missing=""
need() { command -v "$1" >/dev/null 2>&1 || missing="$missing $2"; }
need git git
need gpg gpg
need gpg-agent gpg-agent
need gpgconf gpgconf
need chromium chromium
need npm npm
need ssh-keygen openssh-client
need script bsdutils
[ -x /usr/sbin/sshd ] || missing="$missing openssh-server"
[ -x /usr/sbin/nginx ] || missing="$missing nginx"
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
    echo "the tests need:$missing; install them with: sudo apt-get install -y$missing" >&2
    exit 1
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing
# Packages may start their system services; the tests start their own, on 127.0.0.1 only.
for service in nginx ssh; do service "$service" stop >/dev/null 2>&1 || true; done
