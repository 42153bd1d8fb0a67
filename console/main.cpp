#include <QApplication>
#include <QCommandLineParser>

#include "console/app/consolesettings.h"
#include "console/app/keychaincredentialstore.h"
#include "console/app/languagemanager.h"
#include "console/consoleapplication.h"

using namespace Qt::StringLiterals;
using namespace Switchboard::Console;

int main(int argc, char *argv[])
{
    QApplication app(argc, argv);
    QApplication::setOrganizationName(u"Switchboard"_s);
    QApplication::setApplicationName(u"Console"_s);
    QApplication::setApplicationDisplayName(u"Switchboard Console"_s);
    QApplication::setApplicationVersion(u"0.1.0"_s);
    QApplication::setQuitOnLastWindowClosed(true);

    QCommandLineParser parser;
    parser.setApplicationDescription(u"Switchboard operator console for agents and administrators"_s);
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption server(u"server"_s, u"Server URL to pre-fill, e.g. http://127.0.0.1:8080"_s, u"url"_s);
    const QCommandLineOption user(u"user"_s, u"Username to pre-fill"_s, u"name"_s);
    const QCommandLineOption language(u"language"_s, u"UI language (en, zh_CN); overrides the setting"_s, u"code"_s);
    parser.addOptions({server, user, language});
    parser.process(app);

    ConsoleSettings settings;
    if (parser.isSet(server))
        settings.setServerUrl(QUrl::fromUserInput(parser.value(server)));
    if (parser.isSet(user))
        settings.setLastUsername(parser.value(user));

    LanguageManager languages;
    languages.apply(parser.isSet(language) ? parser.value(language) : settings.language());

    KeychainCredentialStore credentials;
    ConsoleApplication console(settings, &credentials);
    console.start();
    return QApplication::exec();
}
