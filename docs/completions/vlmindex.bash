# bash completion for vlmindex and vlmsearch.  Commands and options are read
# from the programs' own --help, so they stay in step with the binaries.

_vlmindex_options()
{
    "$@" --help 2>/dev/null | grep -o -- '--[a-z0-9][a-z0-9-]*' | sort -u
}

_vlmindex_commands()
{
    vlmindex --help 2>/dev/null | awk '/^  [a-z]+ / { print $1 }'
    echo help
}

# The collection's probes (first column of `vlmindex probe list`).
_vlmindex_probes()
{
    vlmindex probe list 2>/dev/null | awk 'NR > 1 { print $1 }'
}

# Words an option's value may be ("" when it takes a path or free text).
_vlmindex_values()
{
    local cmd=$1 opt=$2
    case $opt in
    --progress) echo "auto tty plain none" ;;
    --keep) echo "largest oldest newest" ;;
    --type) echo "jpeg png webp gif tiff bmp pnm dicom" ;;
    --probe) _vlmindex_probes ;;
    -w | --window) echo "lung mediastinum bone stored full" ;;
    -f | --format)
        case $cmd in
        classify) echo "csv jsonl" ;;
        dupes) echo "tsv jsonl" ;;
        export) echo "npy safetensors" ;;
        *) echo "tsv paths jsonl csv" ;;
        esac
        ;;
    esac
}

_vlmindex()
{
    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
    local prog=${COMP_WORDS[0]} cmd="" words
    [[ ${prog##*/} == vlmindex ]] && cmd=${COMP_WORDS[1]}
    words=$(_vlmindex_values "$cmd" "$prev")
    if [[ -n $words ]]; then
        COMPREPLY=($(compgen -W "$words" -- "$cur"))
        return
    fi
    case $prev in
    -C | --collection | -M | --model | -T | --tokenizer | --in | --root | \
        --reranker)
        COMPREPLY=($(compgen -d -- "$cur"))
        return
        ;;
    esac
    if [[ ${prog##*/} == vlmindex ]]; then
        if ((COMP_CWORD == 1)); then
            COMPREPLY=($(compgen -W "$(_vlmindex_commands) --help --version" \
                -- "$cur"))
            return
        fi
        case $cmd in
        model | exclude | probe | help)
            if ((COMP_CWORD == 2)); then
                case $cmd in
                model) words="pull list" ;;
                exclude) words="add rm list" ;;
                probe) words="train eval list show rm" ;;
                help) words=$(_vlmindex_commands) ;;
                esac
                COMPREPLY=($(compgen -W "$words" -- "$cur"))
                return
            fi
            ;;
        esac
        # probe eval|show NAME, probe rm NAME...: the stored probes.
        if [[ $cmd == probe && $cur != -* ]] && ((COMP_CWORD >= 3)); then
            case ${COMP_WORDS[2]} in
            eval | show) ((COMP_CWORD == 3)) && words=$(_vlmindex_probes) ;;
            rm) words=$(_vlmindex_probes) ;;
            esac
            if [[ -n $words ]]; then
                COMPREPLY=($(compgen -W "$words" -- "$cur"))
                return
            fi
        fi
    fi
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$(_vlmindex_options "$prog" $cmd)" \
            -- "$cur"))
        return
    fi
    COMPREPLY=($(compgen -f -- "$cur"))
}
complete -o filenames -F _vlmindex vlmindex vlmsearch
