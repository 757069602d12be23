#!/usr/bin/env bash
# Installs the Debian packages the tests drive, only those missing.
set -euo pipefail
pkgs=(awscli rclone s3cmd python3-boto3 fio openssh-server openssh-client sshpass attr
      libnfs-utils rsync sqlite3 git curl fuse3 tar)
# The AWS SDK for JavaScript test needs node and npm: Debian's when the
# machine has none of its own.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  pkgs+=(nodejs npm)
fi
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "test dependencies present"
  exit 0
fi
echo "installing: ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  echo "need root to install ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
