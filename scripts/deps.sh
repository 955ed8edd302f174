# deps.sh - sourced by setup.sh and test.sh: install the Debian packages
# chargeshark needs that are missing, non-interactively, saying which.
CS_PACKAGES=(
    build-essential cmake pkg-config   # compiler and build
    wireshark-dev tshark               # the plugin's API, and tshark for its tests
    libpcap-dev libglib2.0-dev         # chargecap
    zlib1g-dev                         # chargecap and chargegen: gzip captures
    jq                                 # tests read JSON
    clang libclang-rt-dev              # libFuzzer harnesses (the runtime is only "recommended")
)

cs_deps() {
    local missing=() p
    for p in "${CS_PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    if [ ${#missing[@]} = 0 ]; then
        echo "chargeshark: all needed packages are installed"
        return 0
    fi
    echo "chargeshark: installing ${missing[*]}"
    local sudo=()
    if [ "$(id -u)" != 0 ]; then
        if command -v sudo >/dev/null; then
            sudo=(sudo)
        else
            echo "chargeshark: not root and no sudo; install them yourself:" >&2
            echo "  apt-get install ${missing[*]}" >&2
            return 1
        fi
    fi
    export DEBIAN_FRONTEND=noninteractive
    "${sudo[@]}" apt-get update -q >/dev/null || echo "chargeshark: apt-get update failed; trying the install anyway" >&2
    "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
}
