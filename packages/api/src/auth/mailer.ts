/**
 * Sends an email: the web app's outbox in development, a mail transport in a
 * deployment. Where none is configured, account emails are not sent.
 */
export interface Mailer {
  send(message: {
    to: string;
    subject: string;
    text: string;
  }): Promise<unknown>;
}
