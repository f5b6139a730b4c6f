/** Campaigns (docs/campaigns.md): the module's public surface. */
export {
  campaignInput,
  feedbackInput,
  liftBounceInput,
  readReport,
  requeueSendInput,
  resolveSendInput,
  CAMPAIGN_STATES,
  SEND_STATES,
  type CampaignInput,
  type FeedbackInput,
} from './model.ts';
export {
  createCampaignsService,
  type Campaign,
  type CampaignProgress,
  type CampaignSend,
  type CampaignSendDetail,
  type CampaignSendEvent,
  type CampaignsDeps,
  type CampaignsService,
} from './campaigns.service.ts';
export { campaignsRoutes } from './campaigns.routes.ts';
export { campaignEvents } from './events.ts';
