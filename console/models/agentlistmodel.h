#pragma once

#include <QAbstractListModel>
#include <QList>

#include "shared/protocol/userinfo.h"

namespace Switchboard::Console {

// Agents and admins a support chat can be transferred to, online ones first, with their presence.
class AgentListModel final : public QAbstractListModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(AgentListModel)

public:
    enum Roles { UserIdRole = Qt::UserRole + 1, StatusRole, RoleRole };

    explicit AgentListModel(QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;

    // Staff other than excludedUserId (the current agent); other roles are ignored.
    void setAgents(const QList<UserInfo> &users, qint64 excludedUserId);
    void setPresence(qint64 userId, const QString &status);
    int onlineCount() const;
    qint64 userIdAt(int row) const;

private:
    struct Item
    {
        UserInfo user;
        QString status; // online, away, offline; empty = unknown
    };
    void sort();

    QList<Item> m_items;
};

} // namespace Switchboard::Console
