/** @jsxImportSource @kitajs/html */
import type { Delivery, DeliveryAttempt } from "../notify/repo";
import { Time } from "./layout";

/** The ticket's delivery log: who was told what, and how each attempt went. */
export function NotificationLog(props: { deliveries: (Delivery & { log: DeliveryAttempt[] })[] }) {
  if (props.deliveries.length === 0) return "";
  return (
    <section id="notifications">
      <h2>Notifications</h2>
      <table>
        <thead>
          <tr>
            <th>Target</th>
            <th>Event</th>
            <th>Status</th>
            <th>Attempts</th>
            <th>Last answer</th>
            <th>Queued</th>
          </tr>
        </thead>
        <tbody>
          {props.deliveries.map((d) => (
            <tr id={`notification-${d.id}`} class={`n-${d.status}`}>
              <td safe>{`${d.channel}:${d.target}`}</td>
              <td safe>{d.event}</td>
              <td safe>{d.status}</td>
              <td safe>{String(d.attempts)}</td>
              <td safe>{d.last_error ?? (d.response_code !== null ? `HTTP ${d.response_code}` : "-")}</td>
              <td>
                <Time ms={d.created_at} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
