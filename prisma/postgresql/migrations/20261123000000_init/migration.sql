-- CreateTable
CREATE TABLE "Organisation" (
    "id" SERIAL NOT NULL,
    "code" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "ticketDueDays" INTEGER NOT NULL DEFAULT 7,
    "isDemo" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" BIGINT NOT NULL DEFAULT (floor(extract(epoch from clock_timestamp()) * 1000))::bigint,

    CONSTRAINT "Organisation_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Unit" (
    "id" SERIAL NOT NULL,
    "organisationId" INTEGER NOT NULL,
    "parentId" INTEGER,
    "name" TEXT NOT NULL,
    "nameKey" TEXT NOT NULL,
    "levelLabel" TEXT NOT NULL DEFAULT '',
    "path" TEXT NOT NULL,
    "depth" INTEGER NOT NULL,
    "memberCount" INTEGER NOT NULL DEFAULT 0,
    "linkedCount" INTEGER NOT NULL DEFAULT 0,
    "createdAt" BIGINT NOT NULL DEFAULT (floor(extract(epoch from clock_timestamp()) * 1000))::bigint,
    "archivedAt" BIGINT,

    CONSTRAINT "Unit_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Person" (
    "id" SERIAL NOT NULL,
    "fullName" TEXT NOT NULL,
    "nameKey" TEXT NOT NULL,
    "phone" TEXT,
    "birthYear" INTEGER,
    "gender" TEXT,
    "note" TEXT,
    "locale" TEXT NOT NULL DEFAULT 'vi',
    "linkedAccounts" INTEGER NOT NULL DEFAULT 0,
    "isDemo" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" BIGINT NOT NULL DEFAULT (floor(extract(epoch from clock_timestamp()) * 1000))::bigint,
    "updatedAt" BIGINT NOT NULL,

    CONSTRAINT "Person_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Membership" (
    "id" SERIAL NOT NULL,
    "personId" INTEGER NOT NULL,
    "unitId" INTEGER NOT NULL,
    "role" TEXT NOT NULL DEFAULT 'member',
    "title" TEXT,
    "createdAt" BIGINT NOT NULL DEFAULT (floor(extract(epoch from clock_timestamp()) * 1000))::bigint,

    CONSTRAINT "Membership_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ChatAccount" (
    "id" SERIAL NOT NULL,
    "platform" TEXT NOT NULL,
    "externalId" TEXT NOT NULL,
    "personId" INTEGER,
    "displayName" TEXT,
    "preferred" BOOLEAN NOT NULL DEFAULT false,
    "unreachable" BOOLEAN NOT NULL DEFAULT false,
    "unreachableAt" BIGINT,
    "backoffUntil" BIGINT,
    "linkedAt" BIGINT,
    "createdAt" BIGINT NOT NULL DEFAULT (floor(extract(epoch from clock_timestamp()) * 1000))::bigint,
    "lastSeenAt" BIGINT,

    CONSTRAINT "ChatAccount_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ChatGroup" (
    "id" SERIAL NOT NULL,
    "platform" TEXT NOT NULL,
    "externalId" TEXT NOT NULL,
    "title" TEXT,
    "unitId" INTEGER,
    "allowed" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" BIGINT NOT NULL DEFAULT (floor(extract(epoch from clock_timestamp()) * 1000))::bigint,

    CONSTRAINT "ChatGroup_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "LinkCode" (
    "id" SERIAL NOT NULL,
    "code" TEXT NOT NULL,
    "personId" INTEGER NOT NULL,
    "createdAt" BIGINT NOT NULL DEFAULT (floor(extract(epoch from clock_timestamp()) * 1000))::bigint,
    "expiresAt" BIGINT NOT NULL,
    "usedAt" BIGINT,
    "usedByAccountId" INTEGER,
    "revokedAt" BIGINT,

    CONSTRAINT "LinkCode_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "LinkAttempt" (
    "id" SERIAL NOT NULL,
    "platform" TEXT NOT NULL,
    "externalId" TEXT NOT NULL,
    "success" BOOLEAN NOT NULL,
    "createdAt" BIGINT NOT NULL DEFAULT (floor(extract(epoch from clock_timestamp()) * 1000))::bigint,

    CONSTRAINT "LinkAttempt_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "MeetingSeries" (
    "id" SERIAL NOT NULL,
    "unitId" INTEGER NOT NULL,
    "title" TEXT NOT NULL,
    "place" TEXT NOT NULL DEFAULT '',
    "agenda" TEXT NOT NULL DEFAULT '',
    "rule" TEXT NOT NULL,
    "startTime" TEXT NOT NULL,
    "durationMinutes" INTEGER NOT NULL DEFAULT 120,
    "includeSubtree" BOOLEAN NOT NULL DEFAULT false,
    "startsOn" TEXT NOT NULL,
    "endsOn" TEXT,
    "exceptions" TEXT NOT NULL DEFAULT '{}',
    "createdById" INTEGER,
    "createdAt" BIGINT NOT NULL DEFAULT (floor(extract(epoch from clock_timestamp()) * 1000))::bigint,
    "cancelledAt" BIGINT,

    CONSTRAINT "MeetingSeries_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Meeting" (
    "id" SERIAL NOT NULL,
    "unitId" INTEGER NOT NULL,
    "seriesId" INTEGER,
    "occurrenceKey" TEXT,
    "title" TEXT NOT NULL,
    "place" TEXT NOT NULL DEFAULT '',
    "agenda" TEXT NOT NULL DEFAULT '',
    "startsAt" BIGINT NOT NULL,
    "endsAt" BIGINT NOT NULL,
    "includeSubtree" BOOLEAN NOT NULL DEFAULT false,
    "status" TEXT NOT NULL DEFAULT 'scheduled',
    "cancelledAt" BIGINT,
    "previousStartsAt" BIGINT,
    "createdById" INTEGER,
    "createdAt" BIGINT NOT NULL DEFAULT (floor(extract(epoch from clock_timestamp()) * 1000))::bigint,
    "updatedAt" BIGINT NOT NULL,

    CONSTRAINT "Meeting_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ReminderPlan" (
    "id" SERIAL NOT NULL,
    "unitId" INTEGER,
    "seriesId" INTEGER,
    "offsets" TEXT NOT NULL,
    "nudgeMinutesBefore" INTEGER NOT NULL DEFAULT 1440,
    "tallyMinutesBefore" INTEGER NOT NULL DEFAULT 180,
    "createdAt" BIGINT NOT NULL DEFAULT (floor(extract(epoch from clock_timestamp()) * 1000))::bigint,

    CONSTRAINT "ReminderPlan_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ScheduledJob" (
    "id" SERIAL NOT NULL,
    "kind" TEXT NOT NULL,
    "meetingId" INTEGER,
    "entityType" TEXT,
    "entityId" INTEGER,
    "dueAt" BIGINT NOT NULL,
    "expiresAt" BIGINT,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "dedupeKey" TEXT NOT NULL,
    "claimedBy" TEXT,
    "claimedAt" BIGINT,
    "doneAt" BIGINT,
    "createdAt" BIGINT NOT NULL DEFAULT (floor(extract(epoch from clock_timestamp()) * 1000))::bigint,

    CONSTRAINT "ScheduledJob_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Rsvp" (
    "id" SERIAL NOT NULL,
    "meetingId" INTEGER NOT NULL,
    "personId" INTEGER NOT NULL,
    "answer" TEXT NOT NULL,
    "reason" TEXT,
    "late" BOOLEAN NOT NULL DEFAULT false,
    "viaAccountId" INTEGER,
    "recordedById" INTEGER,
    "answeredAt" BIGINT NOT NULL DEFAULT (floor(extract(epoch from clock_timestamp()) * 1000))::bigint,

    CONSTRAINT "Rsvp_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Attendance" (
    "id" SERIAL NOT NULL,
    "meetingId" INTEGER NOT NULL,
    "personId" INTEGER NOT NULL,
    "present" BOOLEAN NOT NULL,
    "recordedById" INTEGER,
    "recordedAt" BIGINT NOT NULL DEFAULT (floor(extract(epoch from clock_timestamp()) * 1000))::bigint,

    CONSTRAINT "Attendance_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Directive" (
    "id" SERIAL NOT NULL,
    "unitId" INTEGER NOT NULL,
    "organisationId" INTEGER,
    "kind" TEXT NOT NULL,
    "number" TEXT NOT NULL DEFAULT '',
    "issuer" TEXT NOT NULL DEFAULT '',
    "title" TEXT NOT NULL,
    "summary" TEXT NOT NULL,
    "link" TEXT,
    "status" TEXT NOT NULL DEFAULT 'draft',
    "reminderDays" INTEGER NOT NULL DEFAULT 3,
    "createdById" INTEGER,
    "createdAt" BIGINT NOT NULL DEFAULT (floor(extract(epoch from clock_timestamp()) * 1000))::bigint,
    "sentAt" BIGINT,

    CONSTRAINT "Directive_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "DirectiveDelivery" (
    "id" SERIAL NOT NULL,
    "directiveId" INTEGER NOT NULL,
    "personId" INTEGER NOT NULL,
    "chatAccountId" INTEGER,
    "status" TEXT NOT NULL DEFAULT 'queued',
    "outboxId" INTEGER,
    "sentAt" BIGINT,
    "readAt" BIGINT,
    "readViaAccountId" INTEGER,
    "remindedAt" BIGINT,

    CONSTRAINT "DirectiveDelivery_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Ticket" (
    "id" SERIAL NOT NULL,
    "unitId" INTEGER NOT NULL,
    "originUnitId" INTEGER NOT NULL,
    "personId" INTEGER NOT NULL,
    "directiveId" INTEGER,
    "category" TEXT NOT NULL DEFAULT 'khac',
    "status" TEXT NOT NULL DEFAULT 'new',
    "assigneeId" INTEGER,
    "dueAt" BIGINT NOT NULL,
    "satisfied" BOOLEAN,
    "sourceAccountId" INTEGER,
    "createdAt" BIGINT NOT NULL DEFAULT (floor(extract(epoch from clock_timestamp()) * 1000))::bigint,
    "updatedAt" BIGINT NOT NULL,
    "firstAnsweredAt" BIGINT,
    "closedAt" BIGINT,

    CONSTRAINT "Ticket_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "TicketMessage" (
    "id" SERIAL NOT NULL,
    "ticketId" INTEGER NOT NULL,
    "authorRole" TEXT NOT NULL,
    "authorPersonId" INTEGER,
    "text" TEXT NOT NULL,
    "messageLogId" INTEGER,
    "createdAt" BIGINT NOT NULL DEFAULT (floor(extract(epoch from clock_timestamp()) * 1000))::bigint,

    CONSTRAINT "TicketMessage_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "TicketStatusChange" (
    "id" SERIAL NOT NULL,
    "ticketId" INTEGER NOT NULL,
    "fromStatus" TEXT,
    "toStatus" TEXT NOT NULL,
    "fromUnitId" INTEGER,
    "toUnitId" INTEGER,
    "byPersonId" INTEGER,
    "note" TEXT,
    "createdAt" BIGINT NOT NULL DEFAULT (floor(extract(epoch from clock_timestamp()) * 1000))::bigint,

    CONSTRAINT "TicketStatusChange_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "MessageLog" (
    "id" SERIAL NOT NULL,
    "direction" TEXT NOT NULL,
    "platform" TEXT NOT NULL,
    "chatId" TEXT NOT NULL,
    "chatType" TEXT NOT NULL DEFAULT 'private',
    "senderExternalId" TEXT,
    "chatAccountId" INTEGER,
    "personId" INTEGER,
    "kind" TEXT NOT NULL DEFAULT 'text',
    "text" TEXT,
    "payload" TEXT,
    "platformEventId" TEXT,
    "platformMessageId" TEXT,
    "replyToMessageId" TEXT,
    "entityType" TEXT,
    "entityId" INTEGER,
    "status" TEXT NOT NULL DEFAULT 'received',
    "outboxId" INTEGER,
    "createdAt" BIGINT NOT NULL DEFAULT (floor(extract(epoch from clock_timestamp()) * 1000))::bigint,

    CONSTRAINT "MessageLog_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "AuditLog" (
    "id" SERIAL NOT NULL,
    "actorPersonId" INTEGER,
    "source" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "entityType" TEXT,
    "entityId" INTEGER,
    "detail" TEXT,
    "createdAt" BIGINT NOT NULL DEFAULT (floor(extract(epoch from clock_timestamp()) * 1000))::bigint,

    CONSTRAINT "AuditLog_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Outbox" (
    "id" SERIAL NOT NULL,
    "platform" TEXT NOT NULL,
    "chatAccountId" INTEGER,
    "chatId" TEXT NOT NULL,
    "chatType" TEXT NOT NULL DEFAULT 'private',
    "priority" INTEGER NOT NULL DEFAULT 5,
    "body" TEXT NOT NULL,
    "entityType" TEXT,
    "entityId" INTEGER,
    "personId" INTEGER,
    "dedupeKey" TEXT,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "notBefore" BIGINT NOT NULL DEFAULT (floor(extract(epoch from clock_timestamp()) * 1000))::bigint,
    "leaseUntil" BIGINT,
    "claimedBy" TEXT,
    "sentAt" BIGINT,
    "platformMessageId" TEXT,
    "lastError" TEXT,
    "createdAt" BIGINT NOT NULL DEFAULT (floor(extract(epoch from clock_timestamp()) * 1000))::bigint,

    CONSTRAINT "Outbox_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "DeliveryAttempt" (
    "id" SERIAL NOT NULL,
    "outboxId" INTEGER NOT NULL,
    "outcome" TEXT NOT NULL,
    "errorCode" INTEGER,
    "error" TEXT,
    "retryAfter" INTEGER,
    "createdAt" BIGINT NOT NULL DEFAULT (floor(extract(epoch from clock_timestamp()) * 1000))::bigint,

    CONSTRAINT "DeliveryAttempt_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ConversationState" (
    "chatAccountId" INTEGER NOT NULL,
    "kind" TEXT NOT NULL,
    "data" TEXT NOT NULL DEFAULT '{}',
    "expiresAt" BIGINT NOT NULL,
    "updatedAt" BIGINT NOT NULL,

    CONSTRAINT "ConversationState_pkey" PRIMARY KEY ("chatAccountId")
);

-- CreateTable
CREATE TABLE "Setting" (
    "key" TEXT NOT NULL,
    "value" TEXT NOT NULL,
    "updatedAt" BIGINT NOT NULL,

    CONSTRAINT "Setting_pkey" PRIMARY KEY ("key")
);

-- CreateIndex
CREATE UNIQUE INDEX "Organisation_code_key" ON "Organisation"("code");

-- CreateIndex
CREATE UNIQUE INDEX "Unit_path_key" ON "Unit"("path");

-- CreateIndex
CREATE INDEX "Unit_organisationId_idx" ON "Unit"("organisationId");

-- CreateIndex
CREATE INDEX "Unit_nameKey_idx" ON "Unit"("nameKey");

-- CreateIndex
CREATE UNIQUE INDEX "Unit_parentId_nameKey_key" ON "Unit"("parentId", "nameKey");

-- CreateIndex
CREATE UNIQUE INDEX "Person_phone_key" ON "Person"("phone");

-- CreateIndex
CREATE INDEX "Person_nameKey_idx" ON "Person"("nameKey");

-- CreateIndex
CREATE INDEX "Membership_unitId_role_idx" ON "Membership"("unitId", "role");

-- CreateIndex
CREATE UNIQUE INDEX "Membership_personId_unitId_role_key" ON "Membership"("personId", "unitId", "role");

-- CreateIndex
CREATE INDEX "ChatAccount_personId_idx" ON "ChatAccount"("personId");

-- CreateIndex
CREATE UNIQUE INDEX "ChatAccount_platform_externalId_key" ON "ChatAccount"("platform", "externalId");

-- CreateIndex
CREATE UNIQUE INDEX "ChatGroup_platform_externalId_key" ON "ChatGroup"("platform", "externalId");

-- CreateIndex
CREATE INDEX "LinkCode_code_idx" ON "LinkCode"("code");

-- CreateIndex
CREATE INDEX "LinkCode_personId_idx" ON "LinkCode"("personId");

-- CreateIndex
CREATE INDEX "LinkAttempt_platform_externalId_createdAt_idx" ON "LinkAttempt"("platform", "externalId", "createdAt");

-- CreateIndex
CREATE INDEX "MeetingSeries_unitId_idx" ON "MeetingSeries"("unitId");

-- CreateIndex
CREATE INDEX "Meeting_unitId_startsAt_idx" ON "Meeting"("unitId", "startsAt");

-- CreateIndex
CREATE INDEX "Meeting_startsAt_idx" ON "Meeting"("startsAt");

-- CreateIndex
CREATE UNIQUE INDEX "Meeting_seriesId_occurrenceKey_key" ON "Meeting"("seriesId", "occurrenceKey");

-- CreateIndex
CREATE UNIQUE INDEX "ReminderPlan_unitId_key" ON "ReminderPlan"("unitId");

-- CreateIndex
CREATE UNIQUE INDEX "ReminderPlan_seriesId_key" ON "ReminderPlan"("seriesId");

-- CreateIndex
CREATE UNIQUE INDEX "ScheduledJob_dedupeKey_key" ON "ScheduledJob"("dedupeKey");

-- CreateIndex
CREATE INDEX "ScheduledJob_status_dueAt_idx" ON "ScheduledJob"("status", "dueAt");

-- CreateIndex
CREATE UNIQUE INDEX "Rsvp_meetingId_personId_key" ON "Rsvp"("meetingId", "personId");

-- CreateIndex
CREATE UNIQUE INDEX "Attendance_meetingId_personId_key" ON "Attendance"("meetingId", "personId");

-- CreateIndex
CREATE INDEX "Directive_unitId_createdAt_idx" ON "Directive"("unitId", "createdAt");

-- CreateIndex
CREATE INDEX "DirectiveDelivery_personId_idx" ON "DirectiveDelivery"("personId");

-- CreateIndex
CREATE UNIQUE INDEX "DirectiveDelivery_directiveId_personId_key" ON "DirectiveDelivery"("directiveId", "personId");

-- CreateIndex
CREATE INDEX "Ticket_unitId_status_dueAt_idx" ON "Ticket"("unitId", "status", "dueAt");

-- CreateIndex
CREATE INDEX "Ticket_status_dueAt_idx" ON "Ticket"("status", "dueAt");

-- CreateIndex
CREATE INDEX "Ticket_personId_idx" ON "Ticket"("personId");

-- CreateIndex
CREATE INDEX "TicketMessage_ticketId_idx" ON "TicketMessage"("ticketId");

-- CreateIndex
CREATE INDEX "TicketStatusChange_ticketId_idx" ON "TicketStatusChange"("ticketId");

-- CreateIndex
CREATE INDEX "MessageLog_platform_chatId_platformMessageId_idx" ON "MessageLog"("platform", "chatId", "platformMessageId");

-- CreateIndex
CREATE INDEX "MessageLog_personId_createdAt_idx" ON "MessageLog"("personId", "createdAt");

-- CreateIndex
CREATE INDEX "MessageLog_status_idx" ON "MessageLog"("status");

-- CreateIndex
CREATE UNIQUE INDEX "MessageLog_platform_platformEventId_key" ON "MessageLog"("platform", "platformEventId");

-- CreateIndex
CREATE INDEX "AuditLog_entityType_entityId_idx" ON "AuditLog"("entityType", "entityId");

-- CreateIndex
CREATE INDEX "AuditLog_actorPersonId_createdAt_idx" ON "AuditLog"("actorPersonId", "createdAt");

-- CreateIndex
CREATE UNIQUE INDEX "Outbox_dedupeKey_key" ON "Outbox"("dedupeKey");

-- CreateIndex
CREATE INDEX "Outbox_status_platform_priority_id_idx" ON "Outbox"("status", "platform", "priority", "id");

-- CreateIndex
CREATE INDEX "Outbox_entityType_entityId_idx" ON "Outbox"("entityType", "entityId");

-- CreateIndex
CREATE INDEX "DeliveryAttempt_outboxId_idx" ON "DeliveryAttempt"("outboxId");

-- AddForeignKey
ALTER TABLE "Unit" ADD CONSTRAINT "Unit_organisationId_fkey" FOREIGN KEY ("organisationId") REFERENCES "Organisation"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Unit" ADD CONSTRAINT "Unit_parentId_fkey" FOREIGN KEY ("parentId") REFERENCES "Unit"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Membership" ADD CONSTRAINT "Membership_personId_fkey" FOREIGN KEY ("personId") REFERENCES "Person"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Membership" ADD CONSTRAINT "Membership_unitId_fkey" FOREIGN KEY ("unitId") REFERENCES "Unit"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ChatAccount" ADD CONSTRAINT "ChatAccount_personId_fkey" FOREIGN KEY ("personId") REFERENCES "Person"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ChatGroup" ADD CONSTRAINT "ChatGroup_unitId_fkey" FOREIGN KEY ("unitId") REFERENCES "Unit"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "LinkCode" ADD CONSTRAINT "LinkCode_personId_fkey" FOREIGN KEY ("personId") REFERENCES "Person"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "MeetingSeries" ADD CONSTRAINT "MeetingSeries_unitId_fkey" FOREIGN KEY ("unitId") REFERENCES "Unit"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Meeting" ADD CONSTRAINT "Meeting_unitId_fkey" FOREIGN KEY ("unitId") REFERENCES "Unit"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Meeting" ADD CONSTRAINT "Meeting_seriesId_fkey" FOREIGN KEY ("seriesId") REFERENCES "MeetingSeries"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ReminderPlan" ADD CONSTRAINT "ReminderPlan_unitId_fkey" FOREIGN KEY ("unitId") REFERENCES "Unit"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ReminderPlan" ADD CONSTRAINT "ReminderPlan_seriesId_fkey" FOREIGN KEY ("seriesId") REFERENCES "MeetingSeries"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ScheduledJob" ADD CONSTRAINT "ScheduledJob_meetingId_fkey" FOREIGN KEY ("meetingId") REFERENCES "Meeting"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Rsvp" ADD CONSTRAINT "Rsvp_meetingId_fkey" FOREIGN KEY ("meetingId") REFERENCES "Meeting"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Rsvp" ADD CONSTRAINT "Rsvp_personId_fkey" FOREIGN KEY ("personId") REFERENCES "Person"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Attendance" ADD CONSTRAINT "Attendance_meetingId_fkey" FOREIGN KEY ("meetingId") REFERENCES "Meeting"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Attendance" ADD CONSTRAINT "Attendance_personId_fkey" FOREIGN KEY ("personId") REFERENCES "Person"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Directive" ADD CONSTRAINT "Directive_unitId_fkey" FOREIGN KEY ("unitId") REFERENCES "Unit"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Directive" ADD CONSTRAINT "Directive_organisationId_fkey" FOREIGN KEY ("organisationId") REFERENCES "Organisation"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "DirectiveDelivery" ADD CONSTRAINT "DirectiveDelivery_directiveId_fkey" FOREIGN KEY ("directiveId") REFERENCES "Directive"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "DirectiveDelivery" ADD CONSTRAINT "DirectiveDelivery_personId_fkey" FOREIGN KEY ("personId") REFERENCES "Person"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Ticket" ADD CONSTRAINT "Ticket_unitId_fkey" FOREIGN KEY ("unitId") REFERENCES "Unit"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Ticket" ADD CONSTRAINT "Ticket_personId_fkey" FOREIGN KEY ("personId") REFERENCES "Person"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Ticket" ADD CONSTRAINT "Ticket_assigneeId_fkey" FOREIGN KEY ("assigneeId") REFERENCES "Person"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Ticket" ADD CONSTRAINT "Ticket_directiveId_fkey" FOREIGN KEY ("directiveId") REFERENCES "Directive"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TicketMessage" ADD CONSTRAINT "TicketMessage_ticketId_fkey" FOREIGN KEY ("ticketId") REFERENCES "Ticket"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TicketStatusChange" ADD CONSTRAINT "TicketStatusChange_ticketId_fkey" FOREIGN KEY ("ticketId") REFERENCES "Ticket"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "DeliveryAttempt" ADD CONSTRAINT "DeliveryAttempt_outboxId_fkey" FOREIGN KEY ("outboxId") REFERENCES "Outbox"("id") ON DELETE CASCADE ON UPDATE CASCADE;
