/** The task queue of platform activities (events, bookkeeping); every worker polls it. */
export const PLATFORM_TASK_QUEUE = "loupe-platform";
