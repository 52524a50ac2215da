/** The ingress Lambda: Bolt's AwsLambdaReceiver answering Slack's signed requests (being written). */
export async function handler(_event: unknown, _context: unknown): Promise<{ statusCode: number }> {
  return { statusCode: 503 };
}
