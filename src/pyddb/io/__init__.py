"""The file layer of the DynamoDB model: what DynamoDB would read from or write to another service (S3),
done on the local file system. The model (pyddb.model) never opens a file; the operation layer (pyddb.api)
calls these modules with what the model gives it. `s3local` is a directory standing in for S3 buckets;
`formats` reads and writes the item formats of DynamoDB's export to S3 and import from S3."""
