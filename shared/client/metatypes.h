#pragma once

#include <QMetaType>

#include "shared/client/outgoingmessage.h"
#include "shared/protocol/chatmessage.h"
#include "shared/protocol/errorcode.h"
#include "shared/protocol/protocolerror.h"

// Protocol value types travel through the client library's signals; declaring them makes them
// usable in QVariant, queued connections and QSignalSpy (spy.at(0).at(0).value<ChatMessage>()).
// Declared here, once, rather than in sb_protocol, which stays free of QObject concerns.
Q_DECLARE_METATYPE(Switchboard::ChatMessage)
Q_DECLARE_METATYPE(Switchboard::ProtocolError)
Q_DECLARE_METATYPE(Switchboard::ErrorCode)
Q_DECLARE_METATYPE(Switchboard::OutgoingMessage)
