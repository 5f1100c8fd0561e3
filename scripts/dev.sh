#!/usr/bin/env bash
# The README's two commands: `bash scripts/dev.sh demo` and `bash scripts/dev.sh test`.
# Both set up what is missing first (one script): Debian packages for the tests
# (LibreOffice calc+writer headless, poppler-utils, a CJK font), a virtual environment
# in .venv with FeeDesk and its test dependencies, then run.
set -euo pipefail
cd "$(dirname "$0")/.."

need_system_packages() {
  local missing=()
  command -v soffice >/dev/null 2>&1 || missing+=(libreoffice-calc-nogui libreoffice-writer-nogui)
  command -v pdftoppm >/dev/null 2>&1 || missing+=(poppler-utils)
  command -v pdftotext >/dev/null 2>&1 || missing+=(poppler-utils)
  fc-list 2>/dev/null | grep -qi "wqy\|noto sans cjk" || missing+=(fonts-wqy-zenhei fontconfig)
  command -v python3 >/dev/null 2>&1 || missing+=(python3 python3-venv python3-pip)
  /usr/bin/python3 -c "import uno" >/dev/null 2>&1 || missing+=(python3-uno)  # tests/uno_run_macro.py
  echo "${missing[@]:-}"
}

install_system_packages() {
  local missing
  missing=$(need_system_packages)
  [[ -z "$missing" ]] && return 0
  echo "installing Debian packages: $missing"
  local sudo=""
  [[ $(id -u) -ne 0 ]] && sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  # shellcheck disable=SC2086
  $sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
}

python_env() {
  local python=${PYTHON:-python3}
  if [[ ! -x .venv/bin/python ]]; then
    if ! "$python" -m venv .venv 2>/dev/null; then
      local sudo=""; [[ $(id -u) -ne 0 ]] && sudo="sudo"
      $sudo apt-get update -qq && $sudo apt-get install -y -qq python3-venv >/dev/null
      rm -rf .venv && "$python" -m venv .venv
    fi
  fi
  local stamp=.venv/.feedesk-installed want
  want=$(sha256sum pyproject.toml | cut -c1-16)
  if [[ ! -f $stamp || $(cat $stamp) != "$want" ]]; then
    .venv/bin/python -m pip install -q --upgrade pip
    .venv/bin/python -m pip install -q -e '.[test]'
    echo "$want" > $stamp
  fi
}

command=${1:-}
shift || true
case "$command" in
  demo)
    python_env
    exec .venv/bin/feedesk demo "$@"
    ;;
  test)
    install_system_packages
    python_env
    exec .venv/bin/python -m pytest "$@"
    ;;
  setup)
    install_system_packages
    python_env
    ;;
  *)
    echo "usage: bash scripts/dev.sh demo [DIR] [--customers N] [--months M] [--lang zh|en]"
    echo "       bash scripts/dev.sh test [pytest args]"
    exit 2
    ;;
esac
