# bash completion for vlmindex and vlmsearch.  Options are read from the
# programs' own --help, so they stay in step with the binaries.

_vlmindex_options()
{
    "$@" --help 2>&1 | grep -o -- '--[a-z0-9][a-z0-9-]*' | sort -u
}

_vlmindex()
{
    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
    local prog=${COMP_WORDS[0]} cmd=()
    case $prev in
    -C | --collection | -M | --model | -T | --tokenizer | --in)
        COMPREPLY=($(compgen -d -- "$cur"))
        return
        ;;
    esac
    if [[ ${prog##*/} == vlmindex ]]; then
        if ((COMP_CWORD == 1)); then
            COMPREPLY=($(compgen -W "add update rm status repair reset
                classify embed caption score model render watch serve --help \
                --version" \
                -- "$cur"))
            return
        fi
        cmd=("${COMP_WORDS[1]}")
    fi
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$(_vlmindex_options "$prog" "${cmd[@]}")" \
            -- "$cur"))
        return
    fi
    COMPREPLY=($(compgen -f -- "$cur"))
}
complete -o filenames -F _vlmindex vlmindex vlmsearch
