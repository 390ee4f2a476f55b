#!/usr/bin/env bash
# Example program 3: the AWS CLI against DynamoDB. The endpoint is the one argument that points it
# elsewhere (--endpoint-url "$AWS_ENDPOINT_URL"); credentials and region come from the environment as
# usual. Each step prints a "### step" line, then the CLI's JSON output.
set -euo pipefail
ddb() { aws dynamodb --endpoint-url "$AWS_ENDPOINT_URL" --output json "$@"; }

echo "### create-table"
ddb create-table --table-name Music \
    --attribute-definitions AttributeName=Artist,AttributeType=S AttributeName=SongTitle,AttributeType=S \
    --key-schema AttributeName=Artist,KeyType=HASH AttributeName=SongTitle,KeyType=RANGE \
    --billing-mode PAY_PER_REQUEST
ddb wait table-exists --table-name Music

echo "### describe-table"
ddb describe-table --table-name Music

echo "### put-item"
ddb put-item --table-name Music \
    --item '{"Artist": {"S": "No One You Know"}, "SongTitle": {"S": "Call Me Today"},
             "AlbumTitle": {"S": "Somewhat Famous"}, "Awards": {"N": "1"}, "Year": {"N": "2015"}}' \
    --return-consumed-capacity TOTAL
ddb put-item --table-name Music \
    --item '{"Artist": {"S": "No One You Know"}, "SongTitle": {"S": "Howdy"},
             "AlbumTitle": {"S": "Somewhat Famous"}, "Awards": {"N": "2"}, "Year": {"N": "2016"}}'
ddb put-item --table-name Music \
    --item '{"Artist": {"S": "Acme Band"}, "SongTitle": {"S": "Happy Day"},
             "AlbumTitle": {"S": "Songs About Life"}, "Awards": {"N": "10"}, "Year": {"N": "2010"}}'

echo "### get-item"
ddb get-item --table-name Music --consistent-read \
    --key '{"Artist": {"S": "Acme Band"}, "SongTitle": {"S": "Happy Day"}}'

echo "### query"
ddb query --table-name Music --no-scan-index-forward \
    --key-condition-expression "Artist = :a AND begins_with(SongTitle, :t)" \
    --expression-attribute-values '{":a": {"S": "No One You Know"}, ":t": {"S": "C"}}'
ddb query --table-name Music --no-scan-index-forward --consistent-read \
    --key-condition-expression "Artist = :a" \
    --expression-attribute-values '{":a": {"S": "No One You Know"}}' \
    --projection-expression "SongTitle"

echo "### update-item"
ddb update-item --table-name Music \
    --key '{"Artist": {"S": "Acme Band"}, "SongTitle": {"S": "Happy Day"}}' \
    --update-expression "SET AlbumTitle = :newval, Awards = Awards + :one" \
    --condition-expression "Awards >= :min" \
    --expression-attribute-values '{":newval": {"S": "Updated Album Title"}, ":one": {"N": "1"},
                                    ":min": {"N": "5"}}' \
    --return-values ALL_NEW

echo "### update-item refused"
# the condition is false: the CLI prints the ConditionalCheckFailedException on stderr and exits non-zero
if ddb update-item --table-name Music \
    --key '{"Artist": {"S": "No One You Know"}, "SongTitle": {"S": "Howdy"}}' \
    --update-expression "SET Awards = :zero" --condition-expression "Awards > :min" \
    --expression-attribute-values '{":zero": {"N": "0"}, ":min": {"N": "5"}}'; then
  echo "the conditional update was accepted" >&2
  exit 1
fi

echo "### update-table"
ddb update-table --table-name Music \
    --attribute-definitions AttributeName=AlbumTitle,AttributeType=S \
    --global-secondary-index-updates '[{"Create": {"IndexName": "AlbumTitle-index",
        "KeySchema": [{"AttributeName": "AlbumTitle", "KeyType": "HASH"}],
        "Projection": {"ProjectionType": "ALL"}}}]'
for _ in $(seq 1 100); do
  status=$(ddb describe-table --table-name Music \
      --query 'Table.GlobalSecondaryIndexes[0].IndexStatus' --output text)
  [ "$status" = "ACTIVE" ] && break
  sleep 0.2
done

echo "### batch-write-item"
ddb batch-write-item --request-items '{"Music": [
    {"PutRequest": {"Item": {"Artist": {"S": "The Acme Band"}, "SongTitle": {"S": "Look Out, World"},
                             "AlbumTitle": {"S": "The Buck Starts Here"}}}},
    {"PutRequest": {"Item": {"Artist": {"S": "The Acme Band"}, "SongTitle": {"S": "Still In Love"},
                             "AlbumTitle": {"S": "The Buck Starts Here"}}}},
    {"DeleteRequest": {"Key": {"Artist": {"S": "No One You Know"}, "SongTitle": {"S": "Howdy"}}}}]}'

echo "### query-index"
ddb query --table-name Music --index-name AlbumTitle-index \
    --key-condition-expression "AlbumTitle = :name" \
    --expression-attribute-values '{":name": {"S": "The Buck Starts Here"}}'

echo "### list-tables"
ddb list-tables
