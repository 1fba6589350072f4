import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import type { Alerts } from "../ports";

/** The stack's alerts topic. */
export function snsAlerts(client: SNSClient, topicArn: string): Alerts {
  return {
    async publish(subject, message) {
      await client.send(new PublishCommand({ TopicArn: topicArn, Subject: subject, Message: message }));
    },
  };
}
