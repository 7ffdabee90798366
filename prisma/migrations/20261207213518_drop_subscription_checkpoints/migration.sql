-- DropTable
DROP TABLE "subscription_checkpoints";
