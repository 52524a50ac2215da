/** The notifier Lambda: keeps each run's Slack messages up to date from its journal (being written). */
export async function handler(_event: unknown, _context: unknown): Promise<void> {}
