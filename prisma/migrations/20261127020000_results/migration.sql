-- CreateTable
CREATE TABLE "results" (
    "hash" TEXT NOT NULL,
    "byte_size" BIGINT NOT NULL,
    "chunks" INTEGER NOT NULL,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "results_pkey" PRIMARY KEY ("hash")
);

-- CreateTable
CREATE TABLE "result_chunks" (
    "hash" TEXT NOT NULL,
    "index" INTEGER NOT NULL,
    "data" BYTEA NOT NULL,

    CONSTRAINT "result_chunks_pkey" PRIMARY KEY ("hash","index")
);

-- AddForeignKey
ALTER TABLE "result_chunks" ADD CONSTRAINT "result_chunks_hash_fkey" FOREIGN KEY ("hash") REFERENCES "results"("hash") ON DELETE CASCADE ON UPDATE CASCADE;

