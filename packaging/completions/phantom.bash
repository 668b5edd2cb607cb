# SPDX-License-Identifier: MIT
# Bash completion for phantom: subcommands, their flags, and the command `phantom CMD` runs.

# _phantom_delegate INDEX: completes words INDEX… as a command line of their own.
_phantom_delegate() {
    local cur=${COMP_WORDS[COMP_CWORD]}
    if declare -F _command_offset >/dev/null; then
        _command_offset "$1"
    elif [ "$COMP_CWORD" -eq "$1" ]; then
        mapfile -t COMPREPLY < <(compgen -c -- "$cur")
    else
        compopt -o filenames 2>/dev/null
        mapfile -t COMPREPLY < <(compgen -f -- "$cur")
    fi
}

_phantom() {
    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]} words
    local subcommands="init connect disconnect status doctor env shell run help version"
    # COMP_WORDBREAKS splits --mode=dante into "--mode" "=" "dante".
    if [ "$cur" = "=" ]; then
        cur=""
    elif [ "$prev" = "=" ]; then
        prev=${COMP_WORDS[COMP_CWORD - 2]}
    fi
    COMPREPLY=()
    if [ "$COMP_CWORD" -eq 1 ]; then
        case $cur in
        -*) words="-- --help --version" ;;
        *) # Subcommands first, then every command `phantom CMD` can run.
            mapfile -t COMPREPLY < <({
                compgen -W "$subcommands" -- "$cur"
                compgen -c -- "$cur"
            } | awk '!seen[$0]++')
            return ;;
        esac
    else
        case ${COMP_WORDS[1]} in
        init)
            case $prev in
            --mode) words="dante direct" ;;
            --ssh-key)
                compopt -o filenames 2>/dev/null
                mapfile -t COMPREPLY < <(compgen -f -- "$cur")
                return ;;
            --invite | --host | --port | --user | --socks-user | --host-key | --dante-host | --dante-port) return ;;
            *)
                words="--invite --host --port --user --socks-user --password-stdin --ssh-key --host-key"
                words+=" --mode --dante-host --dante-port --yes --alias --help" ;;
            esac ;;
        connect)
            [ "$prev" = "--timeout" ] && return
            words="--foreground --timeout --install-service --uninstall-service --help" ;;
        status) words="--json" ;;
        doctor)
            case $prev in --egress | --dns-target) return ;; esac
            words="--json --egress --dns-target --help" ;;
        env)
            if [ "$prev" = "--shell" ]; then words="sh bash zsh fish"; else words="--shell --help"; fi ;;
        run)
            if [ "$COMP_CWORD" -eq 2 ] && [[ $cur == -* ]]; then
                words="-- --help"
            elif [ "${COMP_WORDS[2]}" = "--" ] && [ "$COMP_CWORD" -gt 2 ]; then
                _phantom_delegate 3
                return
            else
                _phantom_delegate 2
                return
            fi ;;
        --) _phantom_delegate 2; return ;;
        -* | disconnect | shell | help | version) return ;;
        *) _phantom_delegate 1; return ;;
        esac
    fi
    mapfile -t COMPREPLY < <(compgen -W "$words" -- "$cur")
}

complete -F _phantom phantom
