# fish completion for vlmindex and vlmsearch.  Commands and options are read
# from the programs' own --help, so they stay in step with the binaries.

function __vlmindex_command
    set -l t (commandline -opc)
    test (count $t) -ge 2; and echo $t[2]
end

function __vlmindex_commands
    vlmindex --help 2>/dev/null | string match -r '^  ([a-z]+) ' | string match -r '^[a-z]+$'
    echo help
end

function __vlmindex_options
    set -l prog (commandline -opc)[1]
    set -l cmd
    test (basename $prog) = vlmindex; and set cmd (__vlmindex_command)
    $prog $cmd --help 2>/dev/null | string match -ar -- '--[a-z0-9][a-z0-9-]*' | sort -u
end

function __vlmindex_probes
    vlmindex probe list 2>/dev/null | tail -n +2 | string split -f1 \t
end

for prog in vlmindex vlmsearch
    complete -c $prog -n 'string match -q -- "-*" (commandline -ct)' -a '(__vlmindex_options)'
    complete -c $prog -l progress -x -a 'auto tty plain none'
    complete -c $prog -l type -x -a 'jpeg png webp gif tiff bmp pnm dicom'
    complete -c $prog -s C -l collection -x -a '(__fish_complete_directories)'
    complete -c $prog -l in -x -a '(__fish_complete_directories)'
    complete -c $prog -l probe -x -a '(__vlmindex_probes)'
end
complete -c vlmsearch -s f -l format -x -a 'tsv paths jsonl csv'
complete -c vlmindex -f -n __fish_use_subcommand -a '(__vlmindex_commands)'
complete -c vlmindex -f -n '__fish_seen_subcommand_from model; and test (count (commandline -opc)) -eq 2' -a 'pull list'
complete -c vlmindex -f -n '__fish_seen_subcommand_from exclude; and test (count (commandline -opc)) -eq 2' -a 'add rm list'
complete -c vlmindex -f -n '__fish_seen_subcommand_from probe; and test (count (commandline -opc)) -eq 2' -a 'train eval list show rm'
complete -c vlmindex -f -n '__fish_seen_subcommand_from probe; and __fish_seen_subcommand_from eval show; and test (count (commandline -opc)) -eq 3' -a '(__vlmindex_probes)'
complete -c vlmindex -f -n '__fish_seen_subcommand_from probe; and __fish_seen_subcommand_from rm' -a '(__vlmindex_probes)'
complete -c vlmindex -l keep -x -a 'largest oldest newest'
complete -c vlmindex -s f -l format -x -a 'tsv paths jsonl csv npy safetensors'
