/** The one-question survey in every win-back email: "What made you stop ordering?" */
export const feedbackQuestion = 'What made you stop ordering?';

export const feedbackAnswers = [
  { code: 'prices', label: 'Prices' },
  { code: 'quality', label: 'Quality' },
  { code: 'delivery', label: 'Delivery' },
  { code: 'found_better', label: 'Found something better' },
  { code: 'no_longer_need', label: 'No longer need it' },
  { code: 'other', label: 'Other' },
] as const;

/**
 * The answers an email offers: four one-click links fit on one line of a phone, where six wrapped into a block that
 * read like a form. The feedback page still offers every answer, and links from older emails still count.
 */
export const emailFeedbackAnswers = feedbackAnswers.filter((answer) => ['prices', 'quality', 'found_better', 'other'].includes(answer.code));

/** The question as an email asks it: short enough for one line. */
export const emailFeedbackQuestion = 'Why did you stop ordering?';

export type FeedbackAnswerCode = (typeof feedbackAnswers)[number]['code'];

export const maxFeedbackCommentLength = 1_000;

export function isFeedbackAnswerCode(value: unknown): value is FeedbackAnswerCode {
  return typeof value === 'string' && feedbackAnswers.some((answer) => answer.code === value);
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point of this pattern
const controlCharacters = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g;

/** Free text is kept as plain text: control characters go, the length is capped, and it is never rendered as HTML. */
export function cleanComment(text: string): string {
  return text.replace(controlCharacters, '').trim().slice(0, maxFeedbackCommentLength);
}
