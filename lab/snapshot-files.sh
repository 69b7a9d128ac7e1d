#!/bin/sh
# The files of the directories given as arguments, for the snapshots of lab/snapshot.ts: run on a
# lab host as `sh -s -- <dir>...` with this file on stdin. Needs sh, stat and base64 (coreutils or
# busybox) and nothing else: the hosts of the tutorial-leftovers profile have no python.
#
# Every entry under each directory, recursively, directories themselves left out, as Python's
# os.walk lists them: symlinks are not followed (a symlink to a directory is neither listed nor
# entered, any other symlink is an entry of its own), a directory that is missing or cannot be read
# gives nothing, and a directory given as an argument is entered even when it is a symlink. One line
# per entry:
#
#   F <mode> <path> <bytes>   a regular file
#   O <mode> <path>           any other entry: a symlink, a fifo, a socket, a device
#
# <mode> is the entry's own permission bits in octal (stat -c %a: of the link, for a symlink),
# <path> the base64 of its path (the argument, a slash unless it ends with one, then the names),
# <bytes> the base64 of the file's content (empty for an empty file). parseFileRecords in
# lab/snapshot.ts turns the lines into the snapshot's records.
set -eu

entry() { # $1: F or O, $2: the path
    mode=$(stat -c %a -- "$2")
    printf '%s %s %s' "$1" "$mode" "$(printf '%s' "$2" | base64 -w 0)"
    if [ "$1" = F ]; then
        printf ' '
        base64 -w 0 <"$2"
    fi
    echo
}

walk() { # $1: a directory's path, ending with a slash
    # every name, dot names too; a pattern that matches nothing stays as it is and names nothing
    for p in "$1"* "$1".[!.]* "$1"..?*; do
        if [ -L "$p" ]; then
            [ -d "$p" ] || entry O "$p"
        elif [ -d "$p" ]; then
            walk "$p/"
        elif [ -f "$p" ]; then
            entry F "$p"
        elif [ -e "$p" ]; then
            entry O "$p"
        fi
    done
}

for top in "$@"; do
    [ -d "$top" ] || continue
    case $top in
        */) walk "$top" ;;
        *) walk "$top/" ;;
    esac
done
