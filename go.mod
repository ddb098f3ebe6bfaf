module github.com/damselfly-db/damselfly

go 1.26
