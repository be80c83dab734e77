#!/bin/sh
# test_session_prompt: the prompt under tmux: Tab completes commands, option
# keys and values and names; a bad tower line gets a caret under the stage
# and the session keeps its state; Ctrl-C clears the line; a line ending in
# '\' continues; history is written to TTLAB_HISTORY; Ctrl-D leaves with the
# terminal sane.
command -v tmux >/dev/null 2>&1 || { echo "tmux is not installed: skipped"; exit 77; }
TMUX_NAME=prompt . "${top_srcdir:-.}/tests/tty/tmux_lib.sh"
FAIL_SHOW="$tmp/rc $tmp/history"
# The shell ignores Ctrl-C (a trap, so ttlab gets the default back and
# installs its own handler); otherwise it would die with the C-c sent below.
cat > "$tmp/run.sh" <<EOF2
#!/bin/sh
trap ':' INT
TTLAB_HISTORY="$tmp/history" "$TTLAB"
echo "rc=\$?" > "$tmp/rc"
stty -a > "$tmp/stty"
echo PROMPT-BACK
sleep 60
EOF2
chmod +x "$tmp/run.sh"
T new-session -d -s tt -x 100 -y 30 "$tmp/run.sh" || { echo "tmux cannot start: skipped"; exit 77; }
wait_for 'ttlab>' 10 || fail "no prompt"

T send-keys -t tt 'tow' Tab
wait_for 'ttlab> tower$' 5 || fail "Tab did not complete 'tow'"
T send-keys -t tt 'u = emb' Tab
wait_for 'ttlab> tower u = embed$' 5 || fail "Tab did not complete a stage"
T send-keys -t tt 'di' Tab
wait_for 'ttlab> tower u = embed dim=$' 5 || fail "Tab did not complete an option key"
T send-keys -t tt '8 | mlp 8' Enter
T send-keys -t tt 'model mm = twotower u u los' Tab
wait_for 'twotower u u loss=$' 5 || fail "Tab did not complete loss="
T send-keys -t tt 'inb' Tab
wait_for 'loss=inbatch$' 5 || fail "Tab did not complete a value"
T send-keys -t tt Enter
T send-keys -t tt 'show model m' Tab
wait_for 'show model mm$' 5 || fail "Tab did not complete a model name"
T send-keys -t tt Enter
wait_for 'model mm = twotower u u sim=cos temp=0.05 loss=inbatch' 5 || fail "show model"

# an error points at the stage; nothing is lost
T send-keys -t tt 'tower x = embed | mlpp 8' Enter
wait_for "error: column 19: unknown stage 'mlpp': did you mean 'mlp'\\?" 5 || fail "no error"
grep -q '^                         \^$' "$tmp/screen" || fail "the caret is not under 'mlpp'"
T send-keys -t tt 'list' Enter
wait_for 'model  mm' 5 || fail "the model was lost after an error"

# Ctrl-C clears the line; a backslash continues it
T send-keys -t tt 'echo never shown'
T send-keys -t tt C-c
T send-keys -t tt 'echo one \' Enter
wait_for '\.\.\.>$' 5 || fail "no continuation prompt"
T send-keys -t tt 'two' Enter
wait_for '^one two$' 5 || fail "continued line not joined"
grep -q '^never shown' "$tmp/screen" && fail "Ctrl-C did not clear the line"

T send-keys -t tt C-d
wait_for 'PROMPT-BACK' 10 || fail "Ctrl-D did not leave"
grep -q 'rc=1' "$tmp/rc" || fail "exit status $(cat "$tmp/rc"), want 1 (one command failed)"
grep -Eq '(^| )icanon( |;|$)' "$tmp/stty" || fail "icanon off after ttlab"
grep -q 'show model mm' "$tmp/history" || fail "history not written"
exit 0
