#!/usr/bin/env bash
# Inventory helpers: the Bash sample for the grammar tests.
set -euo pipefail

source ./lib/common.sh
. "$HOME/.inventoryrc"

readonly MAX_ITEMS=100
export INVENTORY_DIR="${INVENTORY_DIR:-$HOME/inventory}"
declare -a items=()

# Prints a price for people.
format_price() {
    printf '%.2f\n' "$1"
}

# Adds an item to the list.
function add_item {
    local name=$1 price=$2
    items+=("$name:$price")
    log "added $name at $(format_price "$price")"
}

log() {
    echo "[inventory] $*" >&2
}

main() {
    add_item apple 0.5
    add_item hammer 12
    for item in "${items[@]}"; do
        echo "$item"
    done | sort
}

main "$@"
