#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Packaging (issue 8): the Homebrew formula parses and its `test do` block passes against a
# local install; scripts/release.sh fills the formula from a real tarball; install.sh installs
# (client, then admin), repeats idempotently and uninstalls to nothing; CPack makes the two
# .deb packages with the right files and dependencies. Uses the build the tests run from.
. "$(dirname "$0")/lib.sh"
require_tool ruby cmake cpack dpkg-deb git sha256sum
SRC=$PHANTOM_SOURCE_DIR
BUILD=$(cd "$(dirname "$PHANTOM_BIN")/.." && pwd)
[ -f "$BUILD/CMakeCache.txt" ] || skip "PHANTOM_BIN is not in a CMake build tree ($BUILD)"
VERSION=$(sed -n 's/^project(phantom VERSION \([0-9.]*\).*/\1/p' "$SRC/CMakeLists.txt")

step "the formula parses; release.sh fills its URL and sha256 from the tarball"
run_capture r ruby -c "$SRC/packaging/homebrew/phantom.rb"
assert_eq 0 "$r_rc" "ruby -c on the template ($r_err)"
git -C "$SRC" rev-parse HEAD >/dev/null 2>&1 || skip "the source tree is not a git checkout: release.sh archives HEAD"
run_capture r bash "$SRC/scripts/release.sh" --url-base "https://example.invalid/v$VERSION" \
  --homepage https://example.invalid/phantom --out "$T/dist"
assert_eq 0 "$r_rc" "release.sh ($r_err)"
formula="$T/dist/phantom.rb"
assert_contains "$(cat "$formula")" "url \"https://example.invalid/v$VERSION/phantom-$VERSION.tar.gz\"" "url"
assert_contains "$(cat "$formula")" "sha256 \"$(sha256sum "$T/dist/phantom-$VERSION.tar.gz" | cut -d' ' -f1)\"" "sha256"
assert_not_contains "$(cat "$formula")" "@" "placeholders left (or any at sign)"
assert_contains "$(tar -tzf "$T/dist/phantom-$VERSION.tar.gz")" "phantom-$VERSION/CMakeLists.txt" "tarball layout"
run_capture r ruby -c "$formula"
assert_eq 0 "$r_rc" "ruby -c on the filled formula"
run_capture r bash "$SRC/scripts/release.sh"
assert_eq 64 "$r_rc" "release.sh without --url-base"
rm -rf "$T/dist2"
run_capture r bash "$SRC/scripts/release.sh" --url-base 'https://example.invalid/"x' --homepage https://h.invalid \
  --out "$T/dist2"
assert_eq 64 "$r_rc" "a URL with a quote"
[ ! -e "$T/dist2" ] || fail "a refused release wrote $T/dist2"

step "install.sh refuses bad arguments and changes nothing"
run_capture r bash "$SRC/install.sh" --prefix relative/dir --no-deps
assert_eq 64 "$r_rc" "relative prefix"
run_capture r bash "$SRC/install.sh" --bogus
assert_eq 64 "$r_rc" "unknown argument"
run_capture r env HOME="$T/home" bash "$SRC/install.sh" --uninstall --prefix "$T/nothing-here"
assert_eq 1 "$r_rc" "uninstall without a manifest"
assert_contains "$r_err" "nothing to uninstall" "says why"
[ ! -e "$T/nothing-here" ] || fail "a refused uninstall created the prefix"

P="$T/prefix"
mkdir -p "$P/share/man" # there before phantom: must still be there after --uninstall
step "install.sh: the client, then the admin side; again changes nothing"
run_capture r bash "$SRC/install.sh" --no-deps --no-build --build-dir "$BUILD" --prefix "$P"
assert_eq 0 "$r_rc" "install ($r_err)"
for f in bin/phantom share/man/man1/phantom.1 share/bash-completion/completions/phantom \
  share/zsh/site-functions/_phantom share/fish/vendor_completions.d/phantom.fish; do
  [ -f "$P/$f" ] || fail "install.sh did not install $f"
  assert_contains "$r_out" "$P/$f" "install.sh lists $f"
done
[ ! -e "$P/sbin/phantom-admin" ] || fail "the client install brought phantom-admin"
run_capture r bash "$SRC/install.sh" --no-deps --no-build --build-dir "$BUILD" --prefix "$P" --admin
assert_eq 0 "$r_rc" "install --admin ($r_err)"
for f in sbin/phantom-admin sbin/phantom-entrypoint share/man/man8/phantom-admin.8 share/phantom/danted.conf \
  share/phantom/sshd_config share/phantom/pam.d/phantom; do
  [ -f "$P/$f" ] || fail "install.sh --admin did not install $f"
done
manifest=$(cat "$P/share/phantom/install-manifest.txt")
run_capture r bash "$SRC/install.sh" --no-deps --no-build --build-dir "$BUILD" --prefix "$P" --admin
assert_eq 0 "$r_rc" "install again"
assert_eq "$manifest" "$(cat "$P/share/phantom/install-manifest.txt")" "the same files"

step "what was installed works from there"
run_capture r "$P/bin/phantom" --version
assert_contains "$r_out" "phantom $VERSION" "phantom --version"
run_capture r "$P/bin/phantom" version
assert_contains "$r_out" "ssh: OpenSSH" "version names ssh"
assert_contains "$r_out" "autossh:" "version names autossh"
run_capture r "$P/sbin/phantom-admin" --help
assert_contains "$r_out" "user add NAME" "phantom-admin runs"
# phantom-admin finds the templates installed beside it (PREFIX/share/phantom).
run_capture r env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin PHANTOM_TUNNEL_USER=nobody PHANTOM_DANTE_USER=nobody PHANTOM_DANTE_ADDR=127.0.0.1 \
  "$P/sbin/phantom-admin" --data-dir "$T/data" render
assert_eq 0 "$r_rc" "phantom-admin render with the installed templates ($r_err)"
[ -f "$T/data/dante/danted.conf" ] || fail "render wrote no danted.conf"
if command -v groff >/dev/null 2>&1; then
  run_capture r groff -man -Tutf8 -ww -z "$P/share/man/man1/phantom.1"
  assert_eq "" "$r_err" "phantom.1 renders cleanly"
fi
run_capture r bash --norc --noprofile -c ". '$P/share/bash-completion/completions/phantom' && complete -p phantom"
assert_contains "$r_out" "phantom" "the installed bash completion loads"

step "the formula's test do block passes against this install"
run_capture r env -i PATH="$P/bin:/usr/bin:/bin" HOME="$T" LANG=C.UTF-8 \
  ruby "$(dirname "$0")/formula_test_block.rb" "$formula" "$P" "$VERSION"
assert_eq 0 "$r_rc" "test do ($r_out $r_err)"

step "install.sh --uninstall removes exactly what it installed"
mkdir -p "$T/home/.config/systemd/user"
touch "$T/home/.config/systemd/user/phantom.service"
run_capture r env HOME="$T/home" bash "$SRC/install.sh" --uninstall --prefix "$P"
assert_eq 1 "$r_rc" "uninstall while a login service still starts phantom"
assert_contains "$r_err" "phantom connect --uninstall-service" "the fix"
[ -x "$P/bin/phantom" ] || fail "the refused uninstall removed phantom"
rm "$T/home/.config/systemd/user/phantom.service"
run_capture r env HOME="$T/home" bash "$SRC/install.sh" --uninstall --prefix "$P"
assert_eq 0 "$r_rc" "uninstall ($r_err)"
assert_eq "" "$(find "$P" -type f)" "files left in the prefix"
for d in share/phantom share/doc/phantom-admin; do
  [ ! -e "$P/$d" ] || fail "--uninstall left $d"
done
[ -d "$P/share/man" ] || fail "--uninstall removed share/man, which was there before"

step "cpack makes the phantom and phantom-admin .deb packages"
run_capture r cpack --config "$BUILD/CPackConfig.cmake" -G DEB -B "$T/debs"
assert_eq 0 "$r_rc" "cpack ($r_err)"
client="$T/debs/phantom_${VERSION}_$(dpkg --print-architecture).deb"
admin="$T/debs/phantom-admin_${VERSION}_$(dpkg --print-architecture).deb"
[ -f "$client" ] && [ -f "$admin" ] || fail "cpack made: $(ls "$T/debs")"
assert_eq phantom "$(dpkg-deb -f "$client" Package)" "client package name"
assert_contains "$(dpkg-deb -f "$client" Depends)" "openssh-client" "client depends"
assert_eq autossh "$(dpkg-deb -f "$client" Recommends)" "client recommends"
assert_contains "$(dpkg-deb -f "$admin" Depends)" "dante-server, openssh-server, libpam-pwdfile, iptables" "admin depends"
assert_contains "$(dpkg-deb -f "$admin" Depends)" "libcrypt1" "admin's library found by shlibdeps"
client_files=$(dpkg-deb -c "$client")
for f in ./usr/bin/phantom ./usr/share/man/man1/phantom.1 ./usr/share/bash-completion/completions/phantom; do
  assert_contains "$client_files" "$f" "client package holds $f"
done
assert_not_contains "$client_files" "phantom-admin" "client package holds phantom-admin"
admin_files=$(dpkg-deb -c "$admin")
for f in ./usr/sbin/phantom-admin ./usr/sbin/phantom-entrypoint ./usr/share/phantom/danted.conf; do
  assert_contains "$admin_files" "$f" "admin package holds $f"
done

echo "$TEST_NAME: all checks passed"
