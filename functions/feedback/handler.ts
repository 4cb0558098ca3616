import { feedbackAnswers, feedbackQuestion, isFeedbackAnswerCode, maxFeedbackCommentLength } from '../../lib/domain/feedback.js';
import { verifyFeedbackToken } from '../../lib/domain/unsubscribe-token.js';
import { brandedHtml, pageBranding } from '../../lib/http/branded-page.js';
import { methodNotAllowed } from '../../lib/http/errors.js';
import { httpHandler } from '../../lib/http/middleware.js';
import { escapeHtml, formFields } from '../../lib/http/responses.js';
import { method, pathToken } from '../../lib/http/route.js';
import { logger } from '../../lib/observability.js';
import { recordFeedback } from '../../lib/usecases/record-feedback.js';
import { signedLinkDependencies } from '../../lib/wiring.js';

const dependencies = signedLinkDependencies;

const formLimitBytes = 16_384;

/**
 * "What made you stop ordering?" A GET shows the question with the clicked answer preselected and records nothing
 * (mail scanners prefetch links); the POST from that page records it, replacing an earlier answer for the same send.
 */
export const handler = httpHandler(async (event) => {
  const deps = await dependencies();
  const token = pathToken(event);
  const branding = await pageBranding(deps.config, (error) => logger.warn('page shown without branding: the campaign config could not be read', { error }));
  if (!verifyFeedbackToken(token, deps.secret)) return brandedHtml(400, 'Link not valid', '<h1>This link is not valid</h1>', branding);
  const verb = method(event);
  if (verb === 'GET' || verb === 'HEAD') {
    const chosen = event.queryStringParameters?.answer;
    return brandedHtml(200, 'Your answer', form(isFeedbackAnswerCode(chosen) ? chosen : undefined), branding);
  }
  if (verb !== 'POST') throw methodNotAllowed();
  const fields = formFields(event, formLimitBytes);
  const outcome = await recordFeedback(token, fields.answer, fields.comment, deps);
  if (outcome === 'invalid_answer') return brandedHtml(400, 'Choose an answer', `<p>Please choose one of the answers.</p>${form(undefined)}`, branding);
  if (outcome !== 'recorded') return brandedHtml(404, 'Not found', '<h1>We could not find that email</h1>', branding);
  return brandedHtml(200, 'Thank you', '<h1>Thank you</h1><p>Your answer helps us do better.</p>', branding);
});

function form(chosen: string | undefined): string {
  const options = feedbackAnswers
    .map(
      (answer) =>
        `<label><input type="radio" name="answer" value="${answer.code}"${answer.code === chosen ? ' checked' : ''}> ${escapeHtml(answer.label)}</label>`,
    )
    .join('');
  return `<h1>${escapeHtml(feedbackQuestion)}</h1><form method="post" action="">${options}<label>Anything else? (optional)<textarea name="comment" maxlength="${maxFeedbackCommentLength}"></textarea></label><button type="submit">Send</button></form>`;
}
