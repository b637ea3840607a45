/**
 * A directive as members will see it on each platform, rendered by the same rules the delivery
 * engine applies before sending (fitMessage: one message, cut with a note when too long; numbered
 * choices on platforms without buttons).
 */
import type { Translate, Locale } from "../../lib/i18n.ts";
import { fitMessage } from "../../channels/fit-message.ts";
import { choicesAsText, type Channel, type ChannelCapabilities } from "../../channels/channel.ts";
import { directiveBody, type DirectiveRow } from "../../domain/directives/directive-service.ts";
import { formatCount } from "./oversight-common.tsx";
import type { DirectiveReach } from "../../domain/directives/directive-oversight.ts";

export const previewPlatforms = ["telegram", "zalo", "zalo_bot", "web"] as const;
export type PreviewPlatform = (typeof previewPlatforms)[number];

/**
 * What each platform can show, as its channel declares it (test/web/admin/directive-preview.test.ts
 * checks these against the channels). A configured channel's own capabilities take precedence.
 */
export const platformCapabilities: Record<PreviewPlatform, Pick<ChannelCapabilities, "buttons" | "maxLength">> = {
  telegram: { buttons: true, maxLength: 4096 },
  zalo: { buttons: false, maxLength: 2000 },
  zalo_bot: { buttons: false, maxLength: 2000 },
  web: { buttons: true, maxLength: 4000 },
};

export interface PlatformPreview {
  platform: PreviewPlatform;
  text: string;
  buttons: string[];
  /** The text was cut to fit one message. */
  cut: boolean;
}

/** The directive's copy on each platform, in one language. */
export function platformPreviews(
  directive: DirectiveRow,
  locale: Locale,
  channels: readonly Channel[] = [],
): PlatformPreview[] {
  const body = directiveBody(directive, locale);
  return previewPlatforms.map((platform) => {
    const caps = channels.find((c) => c.id === platform)?.capabilities ?? platformCapabilities[platform];
    const fitted = fitMessage({ text: body.text, choices: body.choices, locale }, caps, {
      type: "Directive",
      id: directive.id,
    });
    const cut = fitted.text !== body.text;
    if (caps.buttons) return { platform, text: fitted.text, buttons: (fitted.choices ?? []).map((c) => c.label), cut };
    return { platform, text: choicesAsText(fitted), buttons: [], cut };
  });
}

export function Previews(props: { t: Translate; previews: PlatformPreview[] }) {
  const { t } = props;
  return (
    <div class="previews">
      {props.previews.map((p) => (
        <section
          aria-label={t("admin_directives.preview_on", { platform: t(`reports.platform_${p.platform}`) })}
          data-platform={p.platform}
        >
          <h3 style="font-size:1rem;margin:.2rem 0">{t(`reports.platform_${p.platform}`)}</h3>
          <div class="bubble">
            {p.text}
            {p.buttons.length ? (
              <div class="bubble-buttons">
                {p.buttons.map((b) => (
                  <span>{b}</span>
                ))}
              </div>
            ) : null}
          </div>
          {p.cut ? (
            <p class="mute" style="font-size:.9rem">
              {t("admin_directives.preview_cut")}
            </p>
          ) : null}
        </section>
      ))}
    </div>
  );
}

export function ReachTable(props: { t: Translate; locale: Locale; reach: DirectiveReach; unitName: string }) {
  const { t, locale, reach } = props;
  const n = (v: number) => formatCount(v, locale);
  return (
    <section id="reach-table">
      <h3 style="font-size:1rem">{t("admin_directives.reach_title")}</h3>
      <p>
        {t("admin_directives.reach_summary", {
          total: n(reach.total),
          linked: n(reach.linked),
          notLinked: n(reach.notLinked),
        })}
      </p>
      <div class="scroll">
        <table>
          <thead>
            <tr>
              <th>{t("admin_directives.col_unit")}</th>
              <th class="num">{t("admin_directives.col_members")}</th>
              <th class="num">{t("admin_directives.col_linked")}</th>
              <th class="num">{t("admin_directives.col_not_linked")}</th>
            </tr>
          </thead>
          <tbody>
            {reach.direct.total ? (
              <tr>
                <td>{t("admin_directives.reach_direct", { unit: props.unitName })}</td>
                <td class="num">{n(reach.direct.total)}</td>
                <td class="num">{n(reach.direct.linked)}</td>
                <td class="num">{n(reach.direct.notLinked)}</td>
              </tr>
            ) : null}
            {reach.units.map((u) => (
              <tr>
                <td>
                  {u.name} <span class="mute">{u.levelLabel}</span>
                </td>
                <td class="num">{n(u.total)}</td>
                <td class="num">{n(u.linked)}</td>
                <td class="num">{n(u.notLinked)}</td>
              </tr>
            ))}
            <tr class="own">
              <td>{t("admin_directives.reach_total")}</td>
              <td class="num">{n(reach.total)}</td>
              <td class="num">{n(reach.linked)}</td>
              <td class="num">{n(reach.notLinked)}</td>
            </tr>
          </tbody>
        </table>
      </div>
    </section>
  );
}
