#include "attachdialog.h"

#include "remoterun.h"

#include <QDialogButtonBox>
#include <QDir>
#include <QFile>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSettings>
#include <QVBoxLayout>

namespace hs {

namespace {
const QString kAddressKey = QStringLiteral("attach/address");
constexpr qint64 kMaxTokenBytes = 4096;
} // namespace

AttachDialog::AttachDialog(QWidget *parent)
    : QDialog(parent)
    , m_address(new QLineEdit)
    , m_token(new QLineEdit)
    , m_tokenFile(new QPushButton(tr("From File…")))
    , m_error(new QLabel)
{
    setWindowTitle(tr("Attach to a Served Run"));
    auto *intro = new QLabel(tr("Follow a run served by <tt>hybridscope run SCENARIO --serve PORT</tt>, here or on "
                                "another machine, with the same plots and controls as a run of this window. "
                                "Detach leaves it running. A remote machine is best reached through an SSH "
                                "tunnel (<tt>ssh -L</tt>, docs/serve.md)."));
    intro->setWordWrap(true);
    intro->setTextFormat(Qt::RichText);

    m_address->setObjectName(QStringLiteral("attachAddress"));
    m_address->setPlaceholderText(QStringLiteral("127.0.0.1:9400"));
    m_address->setText(QSettings().value(kAddressKey).toString());
    m_address->setToolTip(tr("HOST:PORT of the served run, as its “hybridscope: serving http://HOST:PORT” line says"));
    m_token->setObjectName(QStringLiteral("attachToken"));
    m_token->setEchoMode(QLineEdit::Password);
    m_token->setPlaceholderText(tr("none"));
    m_token->setToolTip(tr("The token of a run served with --token-file (sent as Authorization: Bearer); never "
                           "saved"));
    m_tokenFile->setToolTip(tr("Read the token from a file, as the server's --token-file"));
    connect(m_tokenFile, &QPushButton::clicked, this, [this] {
        const QString path = QFileDialog::getOpenFileName(this, tr("Token file"), QDir::homePath());
        if (path.isEmpty())
            return;
        QString error;
        const QString token = readTokenFile(path, &error);
        m_error->setText(error);
        m_error->setVisible(!error.isEmpty());
        if (!token.isEmpty())
            m_token->setText(token);
    });
    connect(m_address, &QLineEdit::textEdited, this, [this] { m_error->hide(); });

    m_error->setObjectName(QStringLiteral("attachError"));
    m_error->setTextFormat(Qt::PlainText);
    m_error->setWordWrap(true);
    m_error->setStyleSheet(QStringLiteral("QLabel { color: #e03131; }"));
    m_error->hide();

    auto *tokenRow = new QHBoxLayout;
    tokenRow->addWidget(m_token, 1);
    tokenRow->addWidget(m_tokenFile);
    auto *form = new QFormLayout;
    form->addRow(tr("&Address:"), m_address);
    form->addRow(tr("&Token:"), tokenRow);

    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel);
    buttons->button(QDialogButtonBox::Ok)->setText(tr("Attach"));
    connect(buttons, &QDialogButtonBox::accepted, this, &AttachDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(intro);
    layout->addLayout(form);
    layout->addWidget(m_error);
    layout->addWidget(buttons);
    setMinimumWidth(460);
}

QString AttachDialog::address() const
{
    return m_address->text().trimmed();
}

QString AttachDialog::token() const
{
    return m_token->text().trimmed();
}

QString AttachDialog::errorText() const
{
    return m_error->isHidden() ? QString() : m_error->text();
}

QString AttachDialog::readTokenFile(const QString &path, QString *error)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
        *error = tr("token file %1: %2").arg(QDir::toNativeSeparators(path), f.errorString());
        return {};
    }
    const QByteArray bytes = f.read(kMaxTokenBytes + 1);
    if (bytes.size() > kMaxTokenBytes) {
        *error = tr("token file %1: longer than %2 bytes; is it the token?")
                     .arg(QDir::toNativeSeparators(path))
                     .arg(kMaxTokenBytes);
        return {};
    }
    const QString token = QString::fromUtf8(bytes).trimmed();
    if (token.isEmpty()) {
        *error = tr("token file %1 is empty").arg(QDir::toNativeSeparators(path));
        return {};
    }
    if (token.contains(QLatin1Char('\n')) || token.contains(QLatin1Char('\r'))) {
        *error = tr("token file %1 has more than one line; the token is one line").arg(QDir::toNativeSeparators(path));
        return {};
    }
    return token;
}

void AttachDialog::accept()
{
    QString error;
    if (!AttachTarget::parse(address(), &error)) {
        m_error->setText(error);
        m_error->show();
        m_address->setFocus();
        return;
    }
    QSettings().setValue(kAddressKey, address());
    QDialog::accept();
}

} // namespace hs
