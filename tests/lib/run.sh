#!/bin/bash
# ctest runs every shell test through this wrapper, as the leader of a new
# session (setsid).  When the test ends, whatever it started and left running
# is still in our process group; such a process would hold ctest's output
# pipe open and ctest would wait for it for ever, so it is named and killed
# here.  The test's own status (77 = skipped) is returned unchanged.
bash "$1" &
wait $!
rc=$?
left=()
while read -r p; do
	[[ $p != "$$" ]] && left+=("$p")
done < <(pgrep -g $$)
# the process substitution's own shell may still be listed, and zombies
# (exited, not yet reaped) hold no pipe: keep the live ones
alive=()
for p in "${left[@]}"; do
	st=$(ps -o stat= -p "$p" 2>/dev/null) || continue
	[[ $st == Z* ]] || alive+=("$p")
done
if ((${#alive[@]})); then
	echo "run.sh: $1 left processes running; killing them:"
	ps -o pid=,args= -p "$(IFS=,; echo "${alive[*]}")"
	kill -TERM "${alive[@]}" 2>/dev/null
	sleep 1
	kill -KILL "${alive[@]}" 2>/dev/null
fi
exit "$rc"
