#!/bin/sh
# Installs the Debian packages otakit needs to build, test and run its demo.
# Idempotent: does nothing when everything is already there.  Run as root
# (or with sudo available) on Debian 12.
set -eu

PKGS="build-essential cmake pkg-config clang libclang-rt-14-dev
      zlib1g-dev libssl-dev libzip-dev libjansson-dev libcmocka-dev
      gcc-arm-none-eabi libnewlib-arm-none-eabi binutils
      python3 zip unzip srecord
      dosfstools fusefat
      libmicrohttpd-dev libsodium-dev libsqlite3-dev sqlite3 libcurl4-openssl-dev
      nginx-light wrk libcoap3-bin gnutls-bin
      nanopb libnanopb-dev protobuf-c-compiler libprotobuf-c-dev
      libusb-1.0-0-dev
      umockdev libumockdev-dev libglib2.0-dev dfu-util usbutils udev
      chromium
      lrzsz libudev-dev"
# lrzsz: sb/rb, the YMODEM peers of tests/serial_*.sh; libudev-dev: serial
# ports found through udev (host/src/serial.c), as particle-cli does.
# umockdev, libumockdev-dev, libglib2.0-dev: otakit-vbus, the virtual USB bus;
# dfu-util, usbutils (lsusb), udev: the tests/usb_*.sh peers; chromium: WebUSB
# in tests/usb_webusb.sh (driven by playwright-core from npm at test time).
# dosfstools and fusefat: tests/hostile.sh writes onto a real vfat file system
# (no hard links) when the machine lets it mount one.
# Node.js and npm are only needed for the interoperability tests and the
# benchmark (Particle's tools come from npm); some machines already have a
# Node.js build that ships its own npm, and Debian's npm conflicts with it.
command -v npm >/dev/null 2>&1 || PKGS="$PKGS nodejs npm"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
echo "installing:$missing"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
