# SPDX-License-Identifier: MIT
# Fish completions for phantom: subcommands, their flags, and the command `phantom CMD` runs.

function __phantom_is_subcommand
    contains -- $argv[1] init connect disconnect status doctor env shell run help version
end

# True while completing the first word after phantom.
function __phantom_first_word
    test (count (commandline -opc)) -eq 1
end

# True when the subcommand is one of ARGV.
function __phantom_using
    set -l words (commandline -opc)
    set -q words[2]; and contains -- $words[2] $argv
end

# True right after `phantom run`.
function __phantom_after_run
    set -l words (commandline -opc)
    test (count $words) -eq 2; and test "$words[2]" = run
end

# True when the words after phantom are a command to run: `phantom CMD …`, `phantom run [--] CMD …`.
function __phantom_runs_command
    set -l words (commandline -opc)
    set -q words[2]; or return 1
    switch $words[2]
        case run --
            return 0
        case '-*'
            return 1
    end
    not __phantom_is_subcommand $words[2]
end

# Completes that command as if it were typed on its own (options like -- are skipped).
function __phantom_complete_command
    set -l words (commandline -opc)
    set -l skip 1
    test "$words[2]" = run; and set skip 2
    __fish_complete_subcommand --fcs-skip=$skip
end

complete -c phantom -f
complete -c phantom -n __phantom_runs_command -a '(__phantom_complete_command)'

complete -c phantom -n __phantom_first_word -a init -d 'set up this machine'
complete -c phantom -n __phantom_first_word -a connect -d 'start the tunnel daemon'
complete -c phantom -n __phantom_first_word -a disconnect -d 'stop it and everything it started'
complete -c phantom -n __phantom_first_word -a status -d 'show the tunnel'
complete -c phantom -n __phantom_first_word -a doctor -d 'find what breaks your setup'
complete -c phantom -n __phantom_first_word -a env -d 'print the environment phantom gives a command'
complete -c phantom -n __phantom_first_word -a shell -d 'start your shell inside that environment'
complete -c phantom -n __phantom_first_word -a run -d 'run a command, even one named like a subcommand'
complete -c phantom -n __phantom_first_word -a help -d 'show the help'
complete -c phantom -n __phantom_first_word -a version -d 'show versions of phantom, ssh and autossh'
complete -c phantom -n __phantom_first_word -a '(__fish_complete_command)'
complete -c phantom -n __phantom_first_word -l help -d 'show the help'
complete -c phantom -n __phantom_first_word -l version -d 'show versions'

complete -c phantom -n '__phantom_using init connect doctor env' -s h -l help -d 'show this help'

complete -c phantom -n '__phantom_using init' -l invite -x -d 'invite URI from your admin, or - for stdin'
complete -c phantom -n '__phantom_using init' -l host -x -a '(__fish_print_hostnames)' -d 'team server name or address'
complete -c phantom -n '__phantom_using init' -l port -x -d 'team server SSH port'
complete -c phantom -n '__phantom_using init' -l user -x -d 'tunnel SSH account'
complete -c phantom -n '__phantom_using init' -l socks-user -x -d 'your member name'
complete -c phantom -n '__phantom_using init' -l password-stdin -d 'read your member password from stdin'
complete -c phantom -n '__phantom_using init' -l ssh-key -r -F -d 'SSH private key'
complete -c phantom -n '__phantom_using init' -l host-key -x -d 'server host key "TYPE BASE64" to pin'
complete -c phantom -n '__phantom_using init' -l mode -x -a 'dante direct' -d 'tunnel mode'
complete -c phantom -n '__phantom_using init' -l dante-host -x -d 'Dante address as seen from the server'
complete -c phantom -n '__phantom_using init' -l dante-port -x -d 'Dante port'
complete -c phantom -n '__phantom_using init' -s y -l yes -d 'never prompt; fail on missing values'
complete -c phantom -n '__phantom_using init' -l alias -d 'add alias claude=\'phantom claude\' to your shell rc'

complete -c phantom -n '__phantom_using connect' -l foreground -d 'run the daemon attached to this terminal'
complete -c phantom -n '__phantom_using connect' -l timeout -x -d 'seconds to wait for a working tunnel'
complete -c phantom -n '__phantom_using connect' -l install-service -d 'install a login service that keeps the tunnel up'
complete -c phantom -n '__phantom_using connect' -l uninstall-service -d 'remove that login service'

complete -c phantom -n '__phantom_using status' -l json -d 'print the status as JSON'

complete -c phantom -n '__phantom_using doctor' -l json -d 'print the findings as JSON'
complete -c phantom -n '__phantom_using doctor' -l egress -x -d 'URL that answers with the caller address'
complete -c phantom -n '__phantom_using doctor' -l dns-target -x -d 'HOST:PORT to reach through the bridge by name'

complete -c phantom -n '__phantom_using env' -l shell -x -a 'sh bash zsh fish' -d 'syntax of the export lines'

complete -c phantom -n __phantom_after_run -a -- -d 'the next word is the command, even if named like a subcommand'
complete -c phantom -n __phantom_after_run -l help -d 'show the help of run'
