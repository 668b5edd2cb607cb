#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The man pages match the programs: docs/man/*.scd render cleanly, and every subcommand,
# command and long option the --help texts print is described in phantom(1) / phantom-admin(8).
# shellcheck disable=SC2154 # r_out, r_err and r_rc are assigned by run_capture (lib.sh)
. "$(dirname "$0")/lib.sh"
: "${PHANTOM_ADMIN_BIN:?PHANTOM_ADMIN_BIN must point at the phantom-admin binary (CTest sets it)}"
require_tool scdoc groff

MAN_SRC="$PHANTOM_SOURCE_DIR/docs/man"
# The help texts must not depend on whoever runs the test: no config, no daemon to start, not
# inside a phantom session (where `phantom run …` would run its arguments unchanged).
HELP_HOME=$(new_home help-home)
ph() { env -i HOME="$HELP_HOME" PATH="/usr/local/bin:/usr/bin:/bin" LANG=C.UTF-8 "$PHANTOM_BIN" "$@"; }
ph_admin() { env -i PATH="/usr/local/bin:/usr/bin:/bin" LANG=C.UTF-8 "$PHANTOM_ADMIN_BIN" "$@"; }

# man_text PAGE: the rendered page as plain text with each paragraph on one line (a 5000-column
# line, no hyphenation, no bold or underline), so that every option stands whole for grep.
man_text() {
  LC_ALL=C.UTF-8 groff -man -Tutf8 -rHY=0 -rLL=5000n -P-cbou "$1"
}

# section TEXT NAME: the lines of the top-level section NAME (its heading is at column 0).
section() {
  awk -v name="$2" '/^[^ ]/ { inside = ($0 == name); next } inside' <<<"$1"
}

# entry TEXT WORDS: the entry of a section whose term line (indented by 7) starts with WORDS
# followed by a space, a comma or the end of the line, with its description.
entry() {
  awk -v words="       $2" '
    /^       [^ ]/ {
      rest = substr($0, length(words) + 1, 1)
      inside = (index($0, words) == 1 && (rest == "" || rest == " " || rest == ","))
    }
    inside' <<<"$1"
}

# option_terms TEXT INDENT: the term lines of options (starting with "-") at INDENT columns:
# 11 for an option of a command's entry, 7 for a page-wide option in OPTIONS.
option_terms() {
  grep -E "^ {$2}-" <<<"$1" || true
}

# long_options TEXT: the distinct --options in TEXT (a bare "--" is not one).
long_options() {
  grep -oE -- '--[a-z][a-z0-9-]*' <<<"$1" | sort -u || true
}

# has_word TEXT WORD: WORD occurs in TEXT, not as part of a longer option or word
# (--ssh-key must not be satisfied by --ssh-key-file).
has_word() {
  grep -qE -- "(^|[^A-Za-z0-9_-])$2([^A-Za-z0-9_-]|$)" <<<"$1"
}

step "scdoc renders both pages"
for page in phantom.1 phantom-admin.8; do
  scdoc <"$MAN_SRC/$page.scd" >"$T/$page" 2>"$T/$page.err" ||
    fail "scdoc rejects docs/man/$page.scd: $(cat "$T/$page.err")"
done

step "groff formats them without a warning"
for page in phantom.1 phantom-admin.8; do
  warnings=$(LC_ALL=C.UTF-8 groff -man -Tutf8 -ww -z "$T/$page" 2>&1) || fail "groff fails on $page: $warnings"
  assert_eq "" "$warnings" "groff warnings for $page"
done

CLIENT=$(man_text "$T/phantom.1")
CLIENT_COMMANDS=$(section "$CLIENT" COMMANDS)
[ -n "$CLIENT_COMMANDS" ] || fail "phantom.1 has no COMMANDS section"

step "every subcommand of \`phantom help\` has an entry in phantom(1), describing the options its line names"
HELP=$(ph help)
# The "Commands:" block: "  NAME  description", up to the blank line.
SUBCOMMANDS=$(awk '/^Commands:/ { inside = 1; next } inside && /^$/ { exit } inside && /^  [a-z]/ { print $1 }' <<<"$HELP")
[ "$(wc -l <<<"$SUBCOMMANDS")" -ge 5 ] || fail "could not read the subcommands from \`phantom help\`: $HELP"
for sub in $SUBCOMMANDS; do
  text=$(entry "$CLIENT_COMMANDS" "$sub")
  [ -n "$text" ] || fail "phantom.1 has no COMMANDS entry for \"$sub\" (listed by \`phantom help\`)"
  line=$(grep -E "^  $sub " <<<"$HELP")
  for opt in $(long_options "$line"); do
    # "help … (phantom COMMAND --help for a command's options)": --help of every command.
    [ "$opt" != --help ] || continue
    has_word "$(option_terms "$text" 11)" "$opt" ||
      fail "phantom.1: $opt (named by \`phantom help\` for $sub) is not described in the $sub entry"
  done
done

step "every long option of \`phantom SUBCOMMAND --help\` is described in that subcommand's entry"
checked=0
for sub in $SUBCOMMANDS; do
  run_capture r ph "$sub" --help
  if [ "$r_out" = "$HELP" ]; then
    continue # `help --help`: the command list, checked above
  fi
  if [ "$sub" = run ] && ! grep -q '^phantom run' <<<"$r_out"; then
    echo "    phantom run --help prints no help yet (exit $r_rc): its options are not checked"
    continue
  fi
  assert_eq 0 "$r_rc" "exit code of phantom $sub --help ($r_err)"
  terms=$(option_terms "$(entry "$CLIENT_COMMANDS" "$sub")" 11)
  for opt in $(long_options "$r_out"); do
    has_word "$terms" "$opt" || fail "phantom.1: $opt (from \`phantom $sub --help\`) is not described in the $sub entry"
    checked=$((checked + 1))
  done
done
[ "$checked" -ge 10 ] || fail "only $checked options found in the subcommands' --help: is the parsing broken?"
echo "    $checked options checked"

ADMIN=$(man_text "$T/phantom-admin.8")
ADMIN_COMMANDS=$(section "$ADMIN" COMMANDS)
ADMIN_OPTIONS=$(section "$ADMIN" OPTIONS)
[ -n "$ADMIN_COMMANDS" ] || fail "phantom-admin.8 has no COMMANDS section"

step "every command and long option of \`phantom-admin --help\` is in phantom-admin(8)"
run_capture r ph_admin --help
assert_eq 0 "$r_rc" "exit code of phantom-admin --help ($r_err)"
ADMIN_HELP=$r_out
# The usage line's options are global: they belong in OPTIONS.
for opt in $(long_options "$(head -n 1 <<<"$ADMIN_HELP")"); do
  has_word "$(option_terms "$ADMIN_OPTIONS" 7)" "$opt" ||
    fail "phantom-admin.8: the global option $opt is not described in OPTIONS"
done
# Each command line ("  user add NAME [--opt …]", "  render  …"; more indented lines continue
# the previous one) names one or more commands: "user del NAME | user disable NAME" names two,
# "ratelimit apply|show|clear" three actions of one. Each gets an entry describing the line's
# options.
commands=0
awk 'NR == 1 { next }
  /^  [a-z]/ { if (cur != "") print cur; cur = $0; next }
  /^   / && cur != "" { cur = cur " " $0; next }
  { if (cur != "") print cur; cur = "" }
  END { if (cur != "") print cur }' <<<"$ADMIN_HELP" >"$T/admin-commands"
while IFS= read -r line; do
  first=$(awk '{ print $1 }' <<<"$line")
  if [ "$first" = user ]; then
    names=$(grep -oE 'user [a-z]+' <<<"$line")
  else
    names=$first
  fi
  while IFS= read -r name; do
    text=$(entry "$ADMIN_COMMANDS" "$name")
    [ -n "$text" ] || fail "phantom-admin.8 has no COMMANDS entry for \"$name\" (from phantom-admin --help)"
    commands=$((commands + 1))
    for opt in $(long_options "$line"); do
      has_word "$(option_terms "$text" 11)" "$opt" ||
        fail "phantom-admin.8: $opt (from \`phantom-admin --help\` for $name) is not described in the $name entry"
    done
    # "ratelimit apply|show|clear": each action is named in the entry's term line.
    actions=$(sed -nE "s/.*(^|[^a-z])$first ([a-z]+(\|[a-z]+)+).*/\2/p" <<<"$line" | tr '|' ' ')
    for action in $actions; do
      has_word "$(head -n 1 <<<"$text")" "$action" || fail "phantom-admin.8: \"$name $action\" is not in the $name entry"
      commands=$((commands + 1))
    done
  done <<<"$names"
done <"$T/admin-commands"
[ "$commands" -ge 10 ] || fail "only $commands commands read from phantom-admin --help: is the parsing broken?"
# Whatever the line parsing missed: every option printed anywhere is in the page.
for opt in $(long_options "$ADMIN_HELP"); do
  has_word "$ADMIN" "$opt" || fail "phantom-admin.8 does not mention $opt (from phantom-admin --help)"
done
echo "    $commands commands checked"

echo "$TEST_NAME: all checks passed"
