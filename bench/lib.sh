# Helpers of the bench scripts, which source it from the top of the
# repository: source bench/lib.sh

# seconds runs a command once and prints its wall time in nanoseconds.
seconds() {
  local start end
  start=$(date +%s%N)
  "$@" >/dev/null
  end=$(date +%s%N)
  echo $((end - start))
}
