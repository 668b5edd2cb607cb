#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Shell completions (packaging/completions): bash, zsh and fish each complete subcommands,
# their flags and values, and hand `phantom CMD` / `phantom run -- CMD` to CMD's own completion.
: "${PHANTOM_BIN:=$(cd "$(dirname "$0")/../.." && pwd)/build/src/phantom}"
. "$(dirname "$0")/lib.sh"

C=$(cd "$(dirname "$0")/../../packaging/completions" && pwd)
SUBCOMMANDS=(init connect disconnect status doctor env shell run help version)
FILES="$T/files" # the working directory of every completion; holds one known file
mkdir -p "$FILES"
touch "$FILES/known-file.txt"
missing=()

# assert_offers LINE OFFERED WORD…: each WORD is one of the lines of OFFERED.
assert_offers() {
  local line=$1 offered=$2 w
  shift 2
  for w in "$@"; do
    grep -qxF -- "$w" <<<"$offered" || fail "[$line] does not offer [$w]; it offers: $(head -c 400 <<<"$offered" | tr "\n" " ")"
  done
}

# words_for FILE LINE: the matches recorded for LINE in a "LINE<TAB>MATCH" file.
words_for() { awk -F'\t' -v l="$2" '$1 == l { print $2 }' "$1"; }

# Checks shared by the zsh and fish runs, which record "LINE<TAB>MATCH" in $1.
check_common() {
  local out=$1 shell=$2
  assert_offers "$shell: phantom " "$(words_for "$out" "phantom ")" "${SUBCOMMANDS[@]}" ls
  assert_offers "$shell: phantom con" "$(words_for "$out" "phantom con")" connect
  assert_offers "$shell: phantom connect --" "$(words_for "$out" "phantom connect --")" \
    --foreground --timeout --install-service --uninstall-service
  assert_offers "$shell: phantom doctor --" "$(words_for "$out" "phantom doctor --")" --json --egress --dns-target
  assert_eq "dante direct" "$(words_for "$out" "phantom init --mode " | sort | xargs)" "$shell: init --mode values"
  assert_offers "$shell: phantom init --ssh-key kn" "$(words_for "$out" "phantom init --ssh-key kn")" known-file.txt
  assert_eq "bash fish sh zsh" "$(words_for "$out" "phantom env --shell " | sort | xargs)" "$shell: env --shell values"
  assert_offers "$shell: phantom run -- ls --a" "$(words_for "$out" "phantom run -- ls --a")" --all
  assert_offers "$shell: phantom run -- cat " "$(words_for "$out" "phantom run -- cat ")" known-file.txt
  assert_offers "$shell: phantom cat " "$(words_for "$out" "phantom cat ")" known-file.txt
  assert_eq 1 "$(words_for "$out" "phantom e" | grep -cx env)" "$shell: env offered once for [phantom e]"
}
LINES=("phantom " "phantom con" "phantom connect --" "phantom doctor --" "phantom init --mode "
  "phantom init --ssh-key kn" "phantom env --shell " "phantom run -- ls --a" "phantom run -- cat "
  "phantom cat " "phantom e")

# --- bash ------------------------------------------------------------------------------------
BASH_COMPLETION=/usr/share/bash-completion/bash_completion

# bash_complete [--minimal] LINE: COMPREPLY for LINE, cursor at its end, one per line. With
# --minimal, without bash-completion (so the file's own fallback runs).
bash_complete() {
  local lib=$BASH_COMPLETION
  if [ "$1" = --minimal ]; then
    lib=/dev/null
    shift
  fi
  # shellcheck disable=SC2016 # expanded by the inner bash
  bash --norc --noprofile -c '
    . "$1" && . "$2" && cd "$3" || exit 1
    read -ra COMP_WORDS <<<"$4"
    [[ $4 == *" " ]] && COMP_WORDS+=("")
    COMP_CWORD=$((${#COMP_WORDS[@]} - 1)) COMP_LINE=$4 COMP_POINT=${#4}
    _phantom
    printf "%s\n" "${COMPREPLY[@]}"' bash "$lib" "$C/phantom.bash" "$FILES" "$1" 2>"$T/bash.err"
  # compopt complains outside a real completion; anything else is a bug in the script.
  if grep -v "compopt: not currently executing completion function" "$T/bash.err" | grep -q .; then
    fail "bash completion of [$1] wrote to stderr: $(cat "$T/bash.err")"
  fi
}

if [ -r "$BASH_COMPLETION" ]; then
  step "bash: subcommands and commands for the first word"
  r=$(bash_complete "phantom ")
  assert_eq "${SUBCOMMANDS[*]}" "$(head -n ${#SUBCOMMANDS[@]} <<<"$r" | xargs)" "subcommands come first"
  assert_offers "phantom " "$r" ls
  assert_eq "" "$(sort <<<"$r" | uniq -d | head -3)" "duplicates offered for [phantom ]"
  assert_eq connect "$(bash_complete "phantom con" | head -n 1)" "phantom con"

  step "bash: flags and their values"
  assert_offers "phantom connect --" "$(bash_complete "phantom connect --")" \
    --foreground --timeout --install-service --uninstall-service
  assert_offers "phantom doctor --" "$(bash_complete "phantom doctor --")" --json --egress --dns-target
  assert_eq "--json" "$(bash_complete "phantom status --")" "status flags"
  assert_eq "" "$(bash_complete "phantom disconnect ")" "disconnect takes nothing"
  assert_eq "dante direct" "$(bash_complete "phantom init --mode " | xargs)" "init --mode values"
  # bash splits `--mode=` at the = (COMP_WORDBREAKS), leaving "=" as the word being completed.
  assert_eq "dante direct" "$(bash_complete "phantom init --mode =" | xargs)" "init --mode=VALUE"
  assert_eq "sh bash zsh fish" "$(bash_complete "phantom env --shell " | xargs)" "env --shell values"
  assert_offers "phantom init --ssh-key kn" "$(bash_complete "phantom init --ssh-key kn")" known-file.txt
  if [ -x "$PHANTOM_BIN" ]; then
    for sub in init connect status doctor env; do
      # Every flag the binary documents is offered (the completion has not fallen behind).
      for flag in $("$PHANTOM_BIN" "$sub" --help | grep -oE -- '--[a-z][a-z-]*' | sort -u); do
        assert_offers "phantom $sub --" "$(bash_complete "phantom $sub --")" "$flag"
      done
    done
  else
    missing+=("no phantom binary at $PHANTOM_BIN to compare the flags with")
  fi

  step "bash: the command phantom runs completes as itself"
  assert_offers "phantom run -- ls --" "$(bash_complete "phantom run -- ls --")" --all
  assert_offers "phantom run -- cat " "$(bash_complete "phantom run -- cat ")" known-file.txt
  assert_offers "phantom run cat " "$(bash_complete "phantom run cat ")" known-file.txt
  assert_offers "phantom cat " "$(bash_complete "phantom cat ")" known-file.txt
  assert_offers "phantom run -- " "$(bash_complete "phantom run -- ")" ls

  step "bash: without bash-completion"
  assert_offers "phantom con" "$(bash_complete --minimal "phantom con")" connect
  assert_offers "phantom run -- " "$(bash_complete --minimal "phantom run -- ")" ls
  assert_offers "phantom cat " "$(bash_complete --minimal "phantom cat ")" known-file.txt
else
  missing+=("bash-completion is not installed ($BASH_COMPLETION)")
fi

# --- zsh -------------------------------------------------------------------------------------
# The driver types each line into an interactive `zsh -f` on a pseudo-terminal and presses a key
# bound to a completion widget; a compadd wrapper records what the completion system offers.
cat >"$T/drive.zsh" <<'EOF'
zmodload zsh/zpty || exit 2
dir=$1 out=$2 cwd=$3
shift 3
zpty z zsh -f -i
zpty -w z "cd ${(q)cwd}; fpath=(${(q)dir} \$fpath); autoload -Uz compinit; compinit -u -D; bindkey -e"
# Calls with -O/-A/-D only filter matches for their caller; the rest add matches: record those.
zpty -w z "compadd() { if [[ \${(j: :)@[1,(i)--]} != *-[OAD]* ]]; then local -a m; builtin compadd -O m \"\$@\"; print -rl -- \$m >>| \$_rec; fi; builtin compadd \"\$@\" }"
# The widget neither lists nor inserts: the line stays as typed, and nothing waits for a key.
zpty -w z "_rec_widget() { _main_complete; compstate[list]=''; compstate[insert]=''; print >| \$_rec.done }"
zpty -w z "zle -C rec complete-word _rec_widget; bindkey '^T' rec"
for line in "$@"; do
  rm -f $out.rec $out.rec.done
  zpty -w z "_rec=${(q)out}.rec"
  # ^U clears the previous line first: zle skips completion while keys are still waiting.
  zpty -n -w z $'\C-u'"$line"$'\C-t'
  for i in {1..200}; do
    [[ -e $out.rec.done ]] && break
    zpty -rt z junk  # keep the terminal drained
    sleep 0.05
  done
  [[ -e $out.rec.done ]] || { print -u2 "zsh never completed [$line]"; exit 1 }
  touch $out.rec
  while IFS= read -r m; do print -r -- "$line"$'\t'"$m"; done <$out.rec >>$out
done
zpty -d z
EOF

if command -v zsh >/dev/null 2>&1; then
  step "zsh: the completion function parses and autoloads"
  zsh -n "$C/_phantom" || fail "zsh -n $C/_phantom"
  zsh -f -c 'fpath=("$1" $fpath); autoload -Uz _phantom && functions _phantom >/dev/null' zsh "$C" ||
    fail "autoloading _phantom"
  if zsh -f -c 'zmodload zsh/zpty' 2>/dev/null; then
    step "zsh: real completions on a pseudo-terminal"
    zsh -f "$T/drive.zsh" "$C" "$T/zsh.out" "$FILES" "${LINES[@]}" || fail "the zsh driver failed"
    check_common "$T/zsh.out" zsh
  else
    missing+=("zsh has no zpty module to run completions")
  fi
else
  missing+=("zsh is not installed")
fi

# --- fish ------------------------------------------------------------------------------------
if command -v fish >/dev/null 2>&1; then
  step "fish: the completions parse and complete"
  fish -n "$C/phantom.fish" || fail "fish -n $C/phantom.fish"
  # A private config tree, but fish's own completions (ls) stay on the path.
  # shellcheck disable=SC2016 # expanded by fish
  XDG_CONFIG_HOME="$T/xdg/config" XDG_DATA_HOME="$T/xdg/data" XDG_CACHE_HOME="$T/xdg/cache" \
    fish -c 'source $argv[1]; cd $argv[2]
      for line in $argv[3..-1]
        for c in (complete -C $line)
          printf "%s\t%s\n" $line (string split -f1 \t -- $c)
        end
      end' "$C/phantom.fish" "$FILES" "${LINES[@]}" >"$T/fish.out" || fail "fish completion failed"
  check_common "$T/fish.out" fish
else
  missing+=("fish is not installed")
fi

if [ ${#missing[@]} -gt 0 ]; then
  skip "the other checks passed, but: $(IFS=';'; echo "${missing[*]}")"
fi
echo "$TEST_NAME: all checks passed"
