#!/bin/sh
# check-architecture.sh [SOURCE_DIR] — the house rules of
# docs/architecture.md, checked on every `meson test`:
#   1. SQLite is called only in schema/ (and schema's own tests);
#   2. SQL text appears only in schema/;
#   3. every #include of product code points down a floor, or stays in its
#      room: never up, never sideways (indexer/ and query/ are one floor);
#   4. functions stay under 60 lines.
# Prints each violation as FILE:LINE: reason and exits 1 if there is any.
set -u
cd "${1:-.}" || exit 2

rooms="bin server indexer query session dicomweb dimse media schema model"
files=$(find $rooms -type f \( -name '*.c' -o -name '*.h' -o -name '*.cpp' \) |
    LC_ALL=C sort)
status=0

# 1. SQLite calls
hits=$(grep -n 'sqlite3_' $files tests/*/*.c 2>/dev/null |
    grep -v '^schema/' | grep -v '^tests/schema/' |
    grep -v '^model/core/vlm_error.h:.*like sqlite3_errmsg')
if [ -n "$hits" ]; then
    echo "$hits" | sed 's/$/  <- sqlite3_ call outside schema\//'
    status=1
fi

# 2. SQL text outside schema/
sql='(SELECT [^"]* FROM|INSERT (OR [A-Z]+ )?INTO|UPDATE [a-z_]+ SET|DELETE FROM|CREATE (TABLE|INDEX|VIRTUAL|TRIGGER|UNIQUE)|DROP TABLE|ALTER TABLE|PRAGMA [a-z_]+)'
hits=$(grep -nE "\"[^\"]*$sql" $files | grep -v '^schema/')
if [ -n "$hits" ]; then
    echo "$hits" | sed 's/$/  <- SQL outside schema\//'
    status=1
fi

# 3. include direction.  Floors, bottom up; rooms on one floor do not
# include each other.
awk '
function room(path,   p) {
    split(path, p, "/")
    return p[1] == "model" ? p[1] "/" p[2] : p[1]
}
BEGIN {
    floor["model/core"] = 1
    floor["model/weights"] = 2; floor["model/image"] = 2
    floor["model/tokenizer"] = 2
    floor["model/clip"] = 3; floor["model/dicom"] = 3
    floor["model/llava"] = 4
    floor["schema"] = 5; floor["media"] = 5
    floor["session"] = 6; floor["dicomweb"] = 6; floor["dimse"] = 6
    floor["indexer"] = 7; floor["query"] = 7
    floor["server"] = 8
    floor["bin"] = 9
    floor["tests"] = 99; floor["bench"] = 99
}
/^[ \t]*#[ \t]*include[ \t]*"/ {
    match($0, /"[^"]+"/)
    inc = substr($0, RSTART + 1, RLENGTH - 2)
    from = room(FILENAME); to = room(inc)
    if (from == to) next
    if (!(to in floor)) {
        printf "%s:%d: includes %s, which is no room\n", FILENAME, FNR, inc
        bad = 1
    } else if (floor[to] >= floor[from]) {
        printf "%s:%d: %s (floor %d) includes %s (floor %d): %s\n", \
            FILENAME, FNR, from, floor[from], inc, floor[to], \
            floor[to] == floor[from] ? "sideways" : "up a floor"
        bad = 1
    }
}
END { exit bad }
' $files || status=1

# 4. function length: a body opens with "{" in column 0 and closes with
# "}" in column 0 (the .clang-format style).
awk '
/^\{/ { start = FNR; name = prev }
/^\}/ && start {
    n = FNR - start - 1
    if (n > 60) {
        printf "%s:%d: %s is %d lines (limit 60)\n", FILENAME, start - 1, \
            name, n
        bad = 1
    }
    start = 0
}
{ prev = $0 }
END { exit bad }
' $(echo "$files" | grep -v '\.h$') || status=1

[ $status -eq 0 ] && echo "architecture rules hold ($(echo "$files" | wc -l) files)"
exit $status
