import { eachEvent, type Projection } from "./projection.ts";

/**
 * The `accounts` read model: who each user is, their role, where their
 * access application stands, and whether an administrator disabled them.
 */
export const accountsProjection: Projection<
  | "account.created"
  | "account.disabled"
  | "account.enabled"
  | "application.submitted"
  | "application.approved"
  | "application.rejected"
> = {
  "account.created": eachEvent(async (tx, { payload: p }, at) => {
    await tx.account.create({
      data: {
        id: p.userId,
        email: p.email,
        name: p.name,
        role: p.role,
        // Administrators need no access application.
        access: p.role === "admin" ? "approved" : "none",
        createdAt: at,
        updatedAt: at,
      },
    });
  }),
  "account.disabled": eachEvent(async (tx, e, at) => {
    await tx.account.update({
      where: { id: e.payload.userId },
      data: { disabledAt: at, updatedAt: at },
    });
  }),
  "account.enabled": eachEvent(async (tx, e, at) => {
    await tx.account.update({
      where: { id: e.payload.userId },
      data: { disabledAt: null, updatedAt: at },
    });
  }),
  "application.submitted": eachEvent(async (tx, e, at) => {
    const { userId, ...application } = e.payload;
    await tx.account.update({
      where: { id: userId },
      data: {
        access: "pending",
        application,
        rejectionReason: null,
        updatedAt: at,
      },
    });
  }),
  "application.approved": eachEvent(async (tx, e, at) => {
    await tx.account.update({
      where: { id: e.payload.userId },
      data: { access: "approved", rejectionReason: null, updatedAt: at },
    });
  }),
  "application.rejected": eachEvent(async (tx, e, at) => {
    await tx.account.update({
      where: { id: e.payload.userId },
      data: {
        access: "rejected",
        rejectionReason: e.payload.reason,
        updatedAt: at,
      },
    });
  }),
};
