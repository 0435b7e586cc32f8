#!/bin/sh
# Merge requests: `pulumi preview --diff` of $STACK, posted as a note on the merge request (and
# printed in the job log). Secrets show as [secret]: the preview never asks for them. The job
# fails when the preview does, after the note says so.
set -u
: "${STACK:?set by the job's rules}" "${PREVIEW_NOTE_TOKEN:?a project access token with api scope}"
out=$(mktemp) note=$(mktemp)
trap 'rm -f "$out" "$note"' EXIT
pulumi preview --diff --stack "$STACK" --non-interactive --color never --suppress-progress >"$out" 2>&1
status=$?
cat "$out"
if [ "$status" -eq 0 ]; then verdict="succeeded"; else verdict="FAILED (exit $status)"; fi
{
    printf '### `pulumi preview --diff --stack %s` %s\n\n' "$STACK" "$verdict"
    printf 'Commit %s, pipeline %s\n\n<details><summary>The preview</summary>\n\n```\n' "${CI_COMMIT_SHORT_SHA:-?}" "${CI_PIPELINE_URL:-?}"
    cat "$out"
    printf '```\n\n</details>\n'
} >"$note"
# The token travels in a header read from a file, so it is on no command line.
header=$(mktemp)
trap 'rm -f "$out" "$note" "$header"' EXIT
printf 'PRIVATE-TOKEN: %s\n' "$PREVIEW_NOTE_TOKEN" >"$header"
curl -fsS --request POST --header "@$header" --data-urlencode "body@$note" \
    "$CI_API_V4_URL/projects/$CI_PROJECT_ID/merge_requests/$CI_MERGE_REQUEST_IID/notes" >/dev/null || {
    echo "ci: could not post the preview note" >&2
    exit 1
}
exit "$status"
