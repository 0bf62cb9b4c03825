# bash completion for prec, prec-cat, prec-join, prec-filter, prec-fmt and precd. Each program completes
# its own flags and file arguments (go-flags does it when GO_FLAGS_COMPLETION is set): nothing here
# needs to change when a flag does.
_prec_complete() {
	local args=("${COMP_WORDS[@]:1:$COMP_CWORD}")
	local IFS=$'\n'
	COMPREPLY=($(GO_FLAGS_COMPLETION=1 "${COMP_WORDS[0]}" "${args[@]}" 2>/dev/null))
	return 0
}
complete -o default -F _prec_complete prec prec-cat prec-join prec-filter prec-fmt precd
