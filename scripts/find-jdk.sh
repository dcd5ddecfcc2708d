# Sourced by the launcher and CI: sets JAVA_HOME, JAVA and PATH to a JDK 25, or exits with a clear message.
_jdk_ok() { [ -x "$1/bin/java" ] && "$1/bin/java" -version 2>&1 | grep -qE 'version "25([."]|$)'; }
_found=""
for cand in "${JAVA_HOME:-}" /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/temurin-25* /usr/lib/jvm/*-25* /usr/lib/jvm/jdk-25* /opt/java/openjdk; do
  if [ -n "$cand" ] && _jdk_ok "$cand"; then _found="$cand"; break; fi
done
if [ -z "$_found" ] && command -v java >/dev/null 2>&1; then
  _home=$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")
  _jdk_ok "$_home" && _found="$_home"
fi
if [ -z "$_found" ]; then
  echo "jemma: JDK 25 not found. Install Temurin 25 (e.g. under /usr/lib/jvm) or set JAVA_HOME to a JDK 25." >&2
  exit 1
fi
export JAVA_HOME="$_found"
export PATH="$JAVA_HOME/bin:$PATH"
JAVA="$JAVA_HOME/bin/java"
# Maven itself runs on this JDK; keep its own Unsafe warnings quiet.
export MAVEN_OPTS="${MAVEN_OPTS:---sun-misc-unsafe-memory-access=allow}"
unset _found _home cand
