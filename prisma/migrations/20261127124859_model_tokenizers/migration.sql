-- AlterTable
ALTER TABLE "models" ADD COLUMN     "tokenizer_hash" TEXT;
